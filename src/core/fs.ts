import { stat } from 'node:fs/promises';

/** Whether `path` names a regular file (false for a folder, a missing path or one that cannot be read). */
export function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}
