// The base version of an entry (discovery.md section 7): `registry-version`, else the image
// tag of an MCPServer when it is publishable semver, else 1.0.0. Publishable means the
// contract's registry-version rule, so a tag and an annotation are judged alike.

import { VALUE_RULES } from '../contract/value-rules.ts';

export const DEFAULT_VERSION = '1.0.0';

const NO_NAME_CONTEXT = { owningNamespace: 'default', namePrefix: '' };

export function isPublishableVersion(version: string): boolean {
  return version !== '' && VALUE_RULES['registry-version'].check(version, NO_NAME_CONTEXT).errors.length === 0;
}

/**
 * The tag of an image reference, or undefined: `repo:tag`, `repo:tag@sha256:...` -> tag;
 * `repo@sha256:...` and `host:5000/repo` have none (the colon belongs to the host's port).
 */
export function imageTag(image: string | undefined): string | undefined {
  // A manifest's spec.image can be anything; only a string has a tag.
  if (typeof image !== 'string' || !image) return undefined;
  const at = image.indexOf('@');
  const reference = at >= 0 ? image.slice(0, at) : image;
  const colon = reference.lastIndexOf(':');
  return colon > reference.lastIndexOf('/') ? reference.slice(colon + 1) : undefined;
}

/** The image tag as a version when it is publishable (a leading `v` is kept as written). */
export function versionFromImage(image: string | undefined): string | undefined {
  const tag = imageTag(image);
  return tag !== undefined && isPublishableVersion(tag) ? tag : undefined;
}
