/**
 * An agreement file's text to a checked Agreement, or an AgreementError naming the file and every problem
 * found, one line each, so a reviewer fixes them in one round. Pure: the caller reads the file
 * (load-agreements.ts). The rules are the schema in agreement-schema.ts.
 *
 * YAML 1.2 core schema: `2025-08-01` stays a string (no YAML 1.1 timestamps), duplicate keys are errors.
 */

import { basename } from 'node:path';
import { describeIssues } from '@register-feeds/service-kit';
import { parseDocument } from 'yaml';
import { type Agreement, AgreementError } from './agreement.ts';
import { agreementSchema } from './agreement-schema.ts';

const YAML_FILE = /\.ya?ml$/;

export function parseAgreement(text: string, fileName: string): Agreement {
  const document = parseDocument(text, { version: '1.2', schema: 'core', uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new AgreementError(
      fileName,
      document.errors.map((error) => `not valid YAML: ${error.message.split('\n')[0]}`),
    );
  }
  const input: unknown = document.toJS();
  const problems = YAML_FILE.test(fileName) ? [] : ['file name: an agreement file ends in .yaml'];
  const parsed = agreementSchema(basename(fileName).replace(YAML_FILE, '')).safeParse(input);
  if (!parsed.success) problems.push(...describeIssues(parsed.error.issues, input));
  if (!parsed.success || problems.length > 0) throw new AgreementError(fileName, problems);
  return { ...parsed.data, source: fileName };
}
