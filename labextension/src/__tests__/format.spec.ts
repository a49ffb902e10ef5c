/** The front-end's pure logic, with figures worked out by hand from units.money's rules. */
import {
  badgeFor,
  experimentLine,
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
  it('refuses what IPython would read as Python, and says so', () => {
    const made = experimentLine({ name: 'v{os.system(1)}', kpi: 'take_rate' });
    expect('error' in made && made.error).toContain('may not hold {, }, $');
    expect(experimentLine({ name: ' ', kpi: 'take_rate' })).toEqual({
      error: 'give the experiment a name, e.g. "two-tower v2"'
    });
  });
});
