// File plumbing shared by the AOF and snapshots: an append-only file handle that never leaves half a
// record behind, atomic replacement (write, fsync, rename, fsync the directory), and the C strerror
// texts Redis puts in its MISCONF errors.
//
// Why truncate on a failed write: a write that fails part-way (disk full, file-size limit) may have
// stored some bytes of a record. Redis ftruncates the AOF back to its last good size so the file
// stays a sequence of whole records; the caller keeps the unwritten bytes and retries later.

import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export class AppendFile {
  readonly fd: number;
  /** Bytes in the file (all of them whole records). */
  size: number;

  /**
   * `fresh`: create a new file and fail if the name exists — even as a symbolic link (O_EXCL,
   * O_NOFOLLOW) — so a temporary file can never be aimed at another file.
   */
  constructor(readonly path: string, fresh = false) {
    this.fd = fresh
      ? openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644)
      : openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  /** Append all of `data` or nothing: on error the file is cut back to its previous size and the error thrown. */
  append(data: Buffer): void {
    let off = 0;
    try {
      while (off < data.length) off += writeSync(this.fd, data, off, data.length - off);
    } catch (err) {
      if (off > 0) {
        try {
          ftruncateSync(this.fd, this.size);
        } catch {
          // The file now ends in a partial record; the loader trims it (aof-load-truncated).
        }
      }
      throw err;
    }
    this.size += data.length;
  }

  fsync(): void {
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** fsync a directory so a rename inside it is durable. */
export function fsyncDir(path: string): void {
  let fd = -1;
  try {
    fd = openSync(dirname(path), 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on directories; the rename itself is still atomic.
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Atomically replace `target` with the already fsynced file `tmp`. */
export function replaceFile(tmp: string, target: string): void {
  renameSync(tmp, target);
  fsyncDir(target);
}

const STRERROR: Record<string, string> = {
  ENOSPC: 'No space left on device',
  EFBIG: 'File too large',
  EDQUOT: 'Disk quota exceeded',
  EIO: 'Input/output error',
  EROFS: 'Read-only file system',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EBADF: 'Bad file descriptor',
  EMFILE: 'Too many open files',
};

/** The C library's text for a Node.js system error (what Redis shows after "Errors writing to the AOF file:"). */
export function strerror(err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code && STRERROR[code]) return STRERROR[code];
  return (err as Error)?.message ?? String(err);
}
