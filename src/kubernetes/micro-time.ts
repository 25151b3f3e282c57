// MicroTime as the API server writes it (Lease renewTime, Event eventTime): RFC 3339 with
// microseconds.

export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
