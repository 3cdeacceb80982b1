import { ConfigError } from '../core/errors.js';

/**
 * Every problem found in one load of the static configuration, so an operator fixes them in one pass. The
 * message lists one problem per line (`file:line: field: message`); `problems` keeps them apart.
 */
export class ConfigErrors extends ConfigError {
  readonly problems: readonly ConfigError[];

  constructor(problems: readonly ConfigError[]) {
    super(problems.map((problem) => problem.message).join('\n'), { field: '' });
    this.name = 'ConfigErrors';
    this.problems = problems;
  }
}
