// Types for the part of fs-native-extensions the data-directory lock uses (the package ships none).
declare module 'fs-native-extensions' {
  /** Takes an exclusive lock on the whole file without waiting: false when another holder has it. */
  export function tryLock(fd: number): boolean;
  export function unlock(fd: number): void;
}
