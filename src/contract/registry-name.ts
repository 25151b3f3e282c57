// Registry names: the official registry's `NS/NAME` rules, bare names expanded with the
// name prefix template, and the final name of an exported object (annotation contract,
// check 4; discovery.md section 7).

export const NAMESPACE_PART = /^[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]$/;
export const NAME_PART = /^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$/;
export const MAX_REGISTRY_NAME_LENGTH = 200;

export function namePrefixFor(owningNamespace: string, template: string): string {
  return template.replaceAll('{namespace}', owningNamespace);
}

/** `NS/NAME` stays as written; a bare `NAME` becomes `<prefix>/NAME`. */
export function expandRegistryName(value: string, owningNamespace: string, template: string): string {
  return value.includes('/') ? value : `${namePrefixFor(owningNamespace, template)}/${value}`;
}

/** Why a full registry name breaks the official rules, or undefined. */
export function fullNameProblem(fullName: string): string | undefined {
  if (fullName.length > MAX_REGISTRY_NAME_LENGTH) {
    return `is ${fullName.length} characters long, at most ${MAX_REGISTRY_NAME_LENGTH} are allowed`;
  }
  const parts = fullName.split('/');
  if (parts.length !== 2) return 'must have exactly one "/" (NAMESPACE/NAME)';
  const [namespace, name] = parts as [string, string];
  if (!NAMESPACE_PART.test(namespace)) {
    return `namespace part "${namespace.slice(0, 64)}" must match ^[a-zA-Z0-9][a-zA-Z0-9.-]*[a-zA-Z0-9]$ (at least 2 characters)`;
  }
  if (!NAME_PART.test(name)) {
    return `name part "${name.slice(0, 64)}" must match ^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$ (at least 2 characters)`;
  }
  return undefined;
}

/** Why a `registry-name` value (full or bare) is unusable, or undefined. */
export function registryNameProblem(value: string, owningNamespace: string, template: string): string | undefined {
  if (value === '') return 'must not be empty';
  if (!value.includes('/')) {
    if (!NAME_PART.test(value)) return 'must match ^[a-zA-Z0-9][a-zA-Z0-9._-]*[a-zA-Z0-9]$ (at least 2 characters) or be NAMESPACE/NAME';
    const expanded = expandRegistryName(value, owningNamespace, template);
    const problem = fullNameProblem(expanded);
    return problem ? `expands to "${expanded.slice(0, 64)}", which ${problem}` : undefined;
  }
  return fullNameProblem(value);
}
