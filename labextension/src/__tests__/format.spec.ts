/** The front-end's pure logic, with figures worked out by hand from units.money's rules. */
import {
  badgeFor,
  experimentLine,
  formatF,
  formatG,
  isExperimentCell,
  kpiValue,
  lastRunRecord,
  money,
  RUN_MIME,
  shellQuote,
  VERDICT_COLOURS,
  VERDICT_KEYS,
  verdictKey
} from '../format';

/** A run record as a `%%bizml experiment` cell stores it (fields the badge reads). */
function record(overrides: {
  label?: string;
  measurable?: boolean | null;
  value?: number[] | null;
  baseline?: boolean;
  status?: string;
  currency?: string;
  impact?: null;
}): unknown {
  const impact =
    overrides.impact === null
      ? null
      : {
          kpi: 'take_rate',
          currency: overrides.currency ?? 'USD',
          is_baseline: overrides.baseline ?? false,
          value_per_year:
            overrides.value === undefined
              ? [6.55e6, 11.4625e6, 16.375e6]
              : overrides.value,
          verdict:
            overrides.label === undefined
              ? null
              : {
                  label: overrides.label,
                  measurable: overrides.measurable ?? null,
                  text: `${overrides.label}: +0.46 pp take_rate [+0.26, +0.66] (90%)`
                }
        };
  return {
    format: 'bizml.run',
    run: {
      id: '01M8Y83H1921M3QVXFWDM0JVSK',
      name: 'two-tower v2',
      target: 'take_rate',
      status: overrides.status ?? 'ok',
      is_baseline: overrides.baseline ?? false,
      error: overrides.status === 'failed' ? 'ValueError: boom' : null
    },
    impact
  };
}

describe('money', () => {
  it.each([
    [11462500, 'USD', true, '+$11.5M'],
    [10.9e6, 'USD', true, '+$10.9M'],
    [-250000, 'EUR', false, '-€250k'],
    [1.2e6, 'CHF', false, '1.2M CHF'],
    [999.6, 'USD', false, '$1k'], // 999.6 >= 1000 * 0.9995: counted in thousands
    [999, 'USD', false, '$999'],
    [5, 'GBP', true, '+£5'],
    [0, 'USD', true, '$0'],
    [2.5e9, 'USD', false, '$2.5B'],
    [1e15, 'USD', false, '$1e+15'],
    [Number.NaN, 'USD', false, 'n/a']
  ])('money(%p, %p, signed=%p) is %p', (x, currency, signed, expected) => {
    expect(money(x as number, currency as string, signed as boolean)).toBe(
      expected
    );
  });
});

// Expected strings printed by Python's own format() and bizml_nb.core.units (round half to
// even on the exact binary value), an implementation independent of format.ts.
describe('Python number formats', () => {
  it.each([
    [1125, 3, '1.12e+03'],
    [10.25, 3, '10.2'],
    [100.5, 3, '100'],
    [999.5, 3, '1e+03'],
    [9995, 3, '1e+04'],
    [0.0001234, 3, '0.000123'],
    [1.234e-5, 3, '1.23e-05'],
    [1e15, 3, '1e+15'],
    [2.5, 3, '2.5'],
    [0.5, 3, '0.5'],
    [1.5, 4, '1.5'],
    [123456, 3, '1.23e+05'],
    [0.000125, 2, '0.00013'],
    [5, 3, '5'],
    [11.4625, 3, '11.5'],
    [-0, 3, '-0'],
    [4.08, 3, '4.08'],
    [99999, 3, '1e+05']
  ])('format(%p, ".%pg") is %p', (x, digits, expected) => {
    expect(formatG(x, digits)).toBe(expected);
  });
  it.each([
    [2.125, 2, '2.12'],
    [1000.5, 0, '1000'],
    [2.5, 0, '2'],
    [3.5, 0, '4'],
    [-0.001, 2, '-0.00'],
    [-0, 2, '-0.00'],
    [0.005, 2, '0.01'],
    [0.015, 2, '0.01'],
    [1234567.5, 0, '1234568'],
    [12.5, 2, '12.50'],
    [0.125, 2, '0.12'],
    [999.995, 2, '1000.00']
  ])('format(%p, ".%pf") is %p', (x, decimals, expected) => {
    expect(formatF(x, decimals)).toBe(expected);
  });
  it('groups thousands as ",.0f" does', () => {
    expect(formatF(1234567.5, 0, true)).toBe('1,234,568');
    expect(formatF(1000.5, 0, true)).toBe('1,000');
  });
  it.each([
    [1125, 'USD', '$1.12k'],
    [10250000, 'USD', '$10.2M'],
    [100.5, 'USD', '$100'],
    [1.234e-5, 'USD', '$1.23e-05'],
    [999.5, 'EUR', '€1k'],
    [-0, 'USD', '$0'],
    [2.5e15, 'USD', '$2.5e+15']
  ])('units.money(%p, %p) is %p', (x, currency, expected) => {
    expect(money(x, currency)).toBe(expected);
  });
  it.each([
    [2.125, 'percent', '2.12%'],
    [0.02125, 'ratio', '2.12%'],
    [1e15, 'percent', '1e+15%'],
    [-0, 'ratio', '-0.00%'],
    [1000.5, 'orders', '1,000 orders'],
    [1.234e-5, 'ms', '1.23e-05 ms'],
    [1234.5, 'EUR', '€1.23k']
  ])('units.kpi_value(%p, %p) is %p', (x, unit, expected) => {
    expect(kpiValue(x, unit)).toBe(expected);
  });
});

describe('verdictKey', () => {
  it('keeps the four labels', () => {
    for (const label of ['material', 'not material', 'uncertain', 'harmful']) {
      expect(verdictKey({ label })).toBe(label);
    }
  });
  it('says not measurable when an A/B test cannot detect the change, but not over harmful', () => {
    expect(verdictKey({ label: 'material', measurable: false })).toBe(
      'not measurable'
    );
    expect(verdictKey({ label: 'harmful', measurable: false })).toBe('harmful');
    expect(verdictKey({ label: 'material', measurable: true })).toBe(
      'material'
    );
  });
  it('puts baseline and failure before any label', () => {
    expect(verdictKey({ label: 'material' }, { isBaseline: true })).toBe(
      'baseline'
    );
    expect(
      verdictKey({ label: 'material' }, { failed: true, isBaseline: true })
    ).toBe('none');
    expect(verdictKey(null)).toBe('none');
    expect(verdictKey({ label: '<script>' })).toBe('none');
  });
  it('has a colour for every key', () => {
    for (const key of VERDICT_KEYS) {
      expect(VERDICT_COLOURS[key].color).toMatch(/^#[0-9a-f]{6}$/);
    }
  });
});

describe('badgeFor', () => {
  it('shows the verdict and the mid yearly value', () => {
    const badge = badgeFor(record({ label: 'material' }));
    expect(badge).toEqual({
      verdict: 'material',
      text: 'material · +$11.5M/yr',
      runId: '01M8Y83H1921M3QVXFWDM0JVSK',
      tooltip:
        'two-tower v2 → take_rate\nmaterial: +0.46 pp take_rate [+0.26, +0.66] (90%)\nClick to open it in the bizml panel.'
    });
  });
  it('shows a harmful loss with its sign', () => {
    const badge = badgeFor(
      record({ label: 'harmful', value: [-3e6, -2e6, -1e6] })
    );
    expect(badge?.text).toBe('harmful · -$2M/yr');
  });
  it('says when an A/B test could not detect the change, as the card does', () => {
    const badge = badgeFor(record({ label: 'material', measurable: false }));
    expect(badge?.verdict).toBe('not measurable');
    expect(badge?.text).toBe('material, not measurable · +$11.5M/yr');
    const loss = badgeFor(
      record({ label: 'harmful', measurable: false, value: [-3e6, -2e6, -1e6] })
    );
    expect(loss?.verdict).toBe('harmful');
    expect(loss?.text).toBe('harmful, not measurable · -$2M/yr');
  });
  it('shows the label alone when the KPI is not priced', () => {
    expect(badgeFor(record({ label: 'uncertain', value: null }))?.text).toBe(
      'uncertain'
    );
  });
  it('names baselines, failures and runs with no verdict', () => {
    expect(badgeFor(record({ baseline: true, value: null }))).toMatchObject({
      verdict: 'baseline',
      text: 'baseline'
    });
    const failed = badgeFor(record({ status: 'failed', label: 'material' }));
    expect(failed).toMatchObject({ verdict: 'none', text: 'failed' });
    expect(failed?.tooltip).toContain('failed: ValueError: boom');
    expect(badgeFor(record({ impact: null }))).toMatchObject({
      verdict: 'none',
      text: 'no verdict'
    });
  });
  it('reads a damaged record without failing', () => {
    const odd = record({ label: 'material' }) as {
      impact: Record<string, unknown>;
    };
    odd.impact.currency = 42;
    expect(badgeFor(odd)?.text).toBe('material · +$11.5M/yr');
    odd.impact.value_per_year = ['a', 'b', 'c'];
    expect(badgeFor(odd)?.text).toBe('material');
  });
  it('refuses what is not a run record', () => {
    expect(badgeFor(null)).toBeNull();
    expect(badgeFor('material')).toBeNull();
    expect(badgeFor({ run: { name: 'no id' } })).toBeNull();
  });
  it('keeps a hostile name as the text it is', () => {
    const hostile = record({ label: 'material' }) as { run: { name: string } };
    hostile.run.name = '<img src=x onerror=alert(1)>';
    expect(
      badgeFor(hostile)?.tooltip.startsWith(
        '<img src=x onerror=alert(1)> → take_rate'
      )
    ).toBe(true);
  });
});

describe('cells', () => {
  it('finds experiment cells by their first line', () => {
    expect(isExperimentCell('%%bizml experiment "a" --target x\npass')).toBe(
      true
    );
    expect(isExperimentCell('\n%%bizml experiment a --target x')).toBe(true);
    expect(isExperimentCell('%%bizml experiments')).toBe(false);
    expect(isExperimentCell('%bizml experiment a')).toBe(false);
    expect(isExperimentCell('x = 1\n%%bizml experiment a')).toBe(false);
  });
  it('reads the last run record of a cell', () => {
    const outputs = [
      { data: { 'text/plain': 'x' } },
      { data: { [RUN_MIME]: { run: { id: 'first' } } } },
      { data: { [RUN_MIME]: { run: { id: 'second' } } } }
    ];
    expect(lastRunRecord(outputs)).toEqual({ run: { id: 'second' } });
    expect(lastRunRecord([])).toBeNull();
  });
});

describe('kpiValue', () => {
  it('writes ratios as percent, money with its symbol, other units after the number', () => {
    expect(kpiValue(0.04, 'ratio')).toBe('4.00%');
    expect(kpiValue(12.5, 'percent')).toBe('12.50%');
    expect(kpiValue(2500000, 'EUR')).toBe('€2.5M');
    expect(kpiValue(38, 'ms')).toBe('38 ms');
    expect(kpiValue(12345.6, 'orders')).toBe('12,346 orders');
    expect(kpiValue(null, 'ratio')).toBe('—');
    expect(kpiValue(1e307, 'USD')).toBe('n/a'); // units.kpi_value: x * 100 is not finite
    expect(kpiValue(Number.NaN, 'ms')).toBe('n/a');
  });
});

describe('experimentLine', () => {
  it('quotes the name as the magic splits it (shlex)', () => {
    expect(shellQuote('v2')).toBe('v2');
    expect(shellQuote("it's")).toBe(`'it'"'"'s'`);
    expect(
      experimentLine({ name: 'two tower', kpi: 'take_rate', baseline: true })
    ).toEqual({
      line: "%%bizml experiment 'two tower' --target take_rate --baseline"
    });
  });
  it('keeps braces and dollars as they are: the magic does not expand them', () => {
    expect(experimentLine({ name: 'v{2} $x', kpi: 'take_rate' })).toEqual({
      line: "%%bizml experiment 'v{2} $x' --target take_rate"
    });
  });
  it('writes a name or hypothesis starting with - so that it is not a flag', () => {
    expect(
      experimentLine({
        name: '-v2',
        kpi: 'take_rate',
        hypothesis: '-5% latency',
        baseline: true
      })
    ).toEqual({
      line: "%%bizml experiment --target take_rate '--hypothesis=-5% latency' --baseline -- -v2"
    });
  });
  it('refuses a hypothesis of only --, which argparse would read as none', () => {
    const made = experimentLine({
      name: 'v2',
      kpi: 'take_rate',
      hypothesis: '--'
    });
    expect('error' in made && made.error).toContain('reads as no hypothesis');
  });
  it('refuses a line break of any kind, and an empty name, saying what to change', () => {
    for (const name of ['a\nb', 'a\u2028b', 'a\x85b', 'a\vb']) {
      const made = experimentLine({ name, kpi: 'take_rate' });
      expect('error' in made && made.error).toContain(
        'may not hold a line break'
      );
    }
    expect(experimentLine({ name: ' ', kpi: 'take_rate' })).toEqual({
      error: 'give the experiment a name, e.g. "two-tower v2"'
    });
  });
});
