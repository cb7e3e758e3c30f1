// asl-validator ships JavaScript without type declarations; this is the part we use.
declare module 'asl-validator' {
  interface Result {
    isValid: boolean;
    errors: unknown[];
    errorsText(separator?: string): string;
  }
  export default function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): Result;
}
