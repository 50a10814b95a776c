/** Helpers every construct uses to validate its props at synth. */

/** Throws `<Construct> <path>: <message>` (the message says what was given and how to fix it). */
export function validationFailure(kind: string, path: string): (message: string) => never {
  return (message) => {
    throw new Error(`${kind} ${path}: ${message}`);
  };
}

/** True for a whole number in [min, max]. */
export function isIntBetween(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for a Kubernetes DNS-1123 label: lowercase alphanumerics and "-", at most 63 characters. */
export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS_1123_LABEL.test(value);
}

/**
 * True for an RFC 1035 label (Kubernetes "DNS-1035"): a DNS-1123 label that starts with a letter. Service
 * names must be one (the name becomes a DNS name and environment variable prefix); namespaces need not.
 */
export function isDns1035Label(value: string): boolean {
  return isDns1123Label(value) && value.charCodeAt(0) >= 97 && value.charCodeAt(0) <= 122;
}
