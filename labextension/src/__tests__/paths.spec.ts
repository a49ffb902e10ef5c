/** Paths across renames: a folder above a project's bizml.toml takes it along. */
import { RenameWatch, renamedPath } from '../paths';

describe('renamedPath', () => {
  it('follows a folder above it', () => {
    expect(renamedPath('shop/bizml.toml', 'shop', 'shop-2025')).toBe(
      'shop-2025/bizml.toml'
    );
    expect(renamedPath('a/b/bizml.toml', 'a', 'x/y')).toBe('x/y/b/bizml.toml');
  });

  it('follows the item itself', () => {
    expect(
      renamedPath('shop/nb.ipynb', 'shop/nb.ipynb', 'shop/new.ipynb')
    ).toBe('shop/new.ipynb');
  });

  it('stays for a notebook moved out from under it, or a sibling renamed', () => {
    expect(
      renamedPath(
        'moving/bizml.toml',
        'moving/nb.ipynb',
        'moving/other/nb.ipynb'
      )
    ).toBe('moving/bizml.toml');
    // a folder whose name only starts the same is another folder
    expect(renamedPath('shop2/bizml.toml', 'shop', 'store')).toBe(
      'shop2/bizml.toml'
    );
  });

  it('never maps everything for the root folder', () => {
    expect(renamedPath('shop/bizml.toml', '', 'x')).toBe('shop/bizml.toml');
  });
});

describe('RenameWatch', () => {
  it('keeps the project of a renamed notebook', () => {
    const watch = new RenameWatch();
    watch.expect('shop/bizml.toml');
    watch.noted('shop/a/nb.ipynb', 'shop/a/renamed.ipynb');
    expect(watch.movedAway('shop/bizml.toml')).toBe(false);
  });

  it('keeps the project whose folder was renamed', () => {
    const watch = new RenameWatch();
    watch.expect('shop/bizml.toml');
    watch.noted('shop', 'shop-2025');
    expect(watch.movedAway('shop-2025/bizml.toml')).toBe(false);
  });

  it('tells a notebook moved into another project', () => {
    const watch = new RenameWatch();
    watch.expect('moving/bizml.toml');
    watch.noted('moving/nb.ipynb', 'moving/other/nb.ipynb');
    expect(watch.movedAway('moving/other/bizml.toml')).toBe(true);
  });

  it('answers once per rename, and never without one', () => {
    const watch = new RenameWatch();
    expect(watch.movedAway('elsewhere/bizml.toml')).toBe(false);
    watch.expect('moving/bizml.toml');
    expect(watch.movedAway('moving/other/bizml.toml')).toBe(true);
    expect(watch.movedAway('moving/other/bizml.toml')).toBe(false);
    watch.expect('moving/bizml.toml');
    watch.expect(null); // another notebook was opened meanwhile
    expect(watch.movedAway('moving/other/bizml.toml')).toBe(false);
  });
});
