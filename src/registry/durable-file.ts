import { open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Replaces `path` with `content` so that after a crash (even `kill -9` or power loss) the file holds either the old
 * or the new content, never a mix: write a temporary sibling, fsync it, rename it over the target (atomic on POSIX),
 * then fsync the directory so the rename itself is durable (rename(2) alone only orders it in the page cache).
 */
export async function writeFileDurably(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    await file.writeFile(content, 'utf8');
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}
