/**
 * Translation golden files: every `test/golden/translate/<behaviour>.in.yaml` (Kubernetes manifests, with an
 * optional `<behaviour>.options.yaml`) translates to exactly `<behaviour>.out.yaml` (IR and statuses).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { translate } from '../../../src/translate/translate.js';
import { assertGolden, caseNames, loadObjects, loadOptions, toYaml } from './golden-support.js';

const DIR = 'test/golden/translate';

describe('translate golden files', () => {
  const names = caseNames(DIR);
  test('the golden directory has cases', () => {
    assert.ok(names.length > 0, `no *.in.yaml in ${DIR}`);
  });
  for (const name of names) {
    test(name, () => {
      const objects = loadObjects(DIR, name);
      const options = loadOptions(DIR, name);
      const { ir, statuses } = translate(objects, options);
      const text = toYaml({ ir, statuses });
      // The output depends on the set of objects, never on the order a provider lists them in.
      const reversed = translate([...objects].reverse(), options);
      assert.equal(
        toYaml({ ir: reversed.ir, statuses: reversed.statuses }),
        text,
        'output depends on input order',
      );
      assertGolden(DIR, name, text);
    });
  }
});
