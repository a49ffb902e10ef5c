/** Unit tests of the front-end's pure logic (src/format.ts, src/paths.ts, views.ts's tagChips), compiled by ts-jest. */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  testRegex: 'src/__tests__/.*\\.spec\\.ts$',
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { tsconfig: { strict: true, esModuleInterop: true } }
    ]
  }
};
