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
