/** Server paths (relative to the server's root, `/`-separated) across renames and moves. */

/**
 * Where `path` is after the item at `from` was renamed or moved to `to`: `to` for the
 * item itself, the same place under `to` for anything inside a folder `from`, else
 * `path` unchanged. (A project's `bizml.toml` moves with a folder above it.)
 */
export function renamedPath(path: string, from: string, to: string): string {
  if (path === from) {
    return to;
  }
  if (from !== '' && path.startsWith(`${from}/`)) {
    return `${to}${path.slice(from.length)}`;
  }
  return path;
}

/**
 * After a rename, whether the renamed notebook's project is another one than the
 * project shown before: a folder renamed above the project's `bizml.toml` keeps it.
 */
export class RenameWatch {
  /** Something was renamed or moved from `from` to `to`. */
  noted(from: string, to: string): void {
    this._last = { from, to };
  }

  /** The registry shown before the notebook shown was renamed; null: no rename. */
  expect(registry: string | null): void {
    this._before = registry;
  }

  /** For the first answer after a rename: whether `registry` is another project. */
  movedAway(registry: string): boolean {
    const before = this._before;
    this._before = null;
    if (before === null) {
      return false;
    }
    const last = this._last;
    const expected = last ? renamedPath(before, last.from, last.to) : before;
    return expected !== registry;
  }

  private _before: string | null = null;
  private _last: { from: string; to: string } | null = null;
}
