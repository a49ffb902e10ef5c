/** The KPI panel's tag chips: what a user can press and let go. */
import { tagChips } from '../views';

describe('tagChips', () => {
  it("keeps the project's tags in the server's order", () => {
    expect(tagChips(['deep', 'fast', 'prod'], new Set(['fast']))).toEqual([
      'deep',
      'fast',
      'prod'
    ]);
  });

  it('keeps a chosen tag no run carries any more, after the others, sorted', () => {
    expect(
      tagChips(['deep', 'fast'], new Set(['zeta', 'fast', 'alpha']))
    ).toEqual(['deep', 'fast', 'alpha', 'zeta']);
  });

  it('draws the chosen tags alone when the project has none', () => {
    expect(tagChips([], new Set(['fast']))).toEqual(['fast']);
    expect(tagChips([], new Set())).toEqual([]);
  });
});
