// Every migration, listed by name in order: a static map (not a folder scan) so it works unchanged from dist.
import type { Migration } from 'kysely';
import type { Dialect } from '../database.js';
import { initial } from './001-initial.js';
import { teams } from './002-teams.js';

/** Names sort in application order; a new migration is a new file and one more line here. */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    '001_initial': initial(dialect),
    '002_teams': teams(dialect),
  };
}
