/** The `freemail` package ships no types. Both functions take an email address or a bare domain. */
declare module 'freemail' {
  export function isFree(emailOrDomain: string): boolean;
  export function isDisposable(emailOrDomain: string): boolean;
}
