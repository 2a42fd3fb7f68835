import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { GOAL_FIELDS, type ExperimentCounts, type ExperimentQuery } from '../../experiments/counts.js';

const GOAL_COLUMNS: ReadonlySet<string> = new Set(GOAL_FIELDS);

/**
 * Exposures and conversions of one experiment. A unit counts in its variant when its exposures are all
 * `assigned` (no QA override), all of one variant (a unit a ramp moved is left out: it saw both) and not from
 * a bot. It converts on a goal when, at or after its first exposure, an event of the same unit (and not a bot)
 * matches the goal's `ename` (and field). Values are bound parameters; the key and goal fields come from
 * fixed lists.
 */
export async function readExperimentCounts(conn: DuckDBConnection, q: ExperimentQuery): Promise<ExperimentCounts> {
  const key = q.key === 'sid' ? 'sid' : 'vid';
  const exposures = `SELECT "${key}" AS unit, split, etyp, coalesce(bot, false) AS bot, received FROM events
    WHERE origin = 'experiment' AND ename = 'exposure' AND xid = ? AND "${key}" IS NOT NULL`;
  const units = `SELECT unit, min(split) AS split, min(received) AS first_seen,
      count(DISTINCT split) > 1 AS moved, bool_or(etyp <> 'assigned') AS override, bool_or(bot) AS bot
    FROM (${exposures}) GROUP BY unit`;
  const rows = async (sql: string, params: DuckDBValue[]) => (await conn.runAndReadAll(sql, params)).getRowObjectsJS();

  const counted = await rows(
    `SELECT split, count(*) FILTER (WHERE NOT override AND NOT moved AND NOT bot) AS units,
       count(*) FILTER (WHERE override) AS override, count(*) FILTER (WHERE moved AND NOT override) AS moved,
       count(*) FILTER (WHERE bot AND NOT override AND NOT moved) AS bots
     FROM (${units}) GROUP BY split`,
    [q.experiment],
  );
  const byVariant: Record<string, number> = {};
  const excluded = { override: 0, moved: 0, bots: 0 };
  for (const r of counted) {
    byVariant[String(r.split)] = Number(r.units);
    excluded.override += Number(r.override);
    excluded.moved += Number(r.moved);
    excluded.bots += Number(r.bots);
  }
  const conversions: Record<string, Record<string, number>> = {};
  for (const goal of q.goals) {
    const field = goal.field !== undefined && GOAL_COLUMNS.has(goal.field) ? goal.field : undefined;
    const params: DuckDBValue[] = [q.experiment, goal.ename, ...(field ? [goal.equals ?? ''] : [])];
    const converted = await rows(
      `SELECT u.split, count(DISTINCT u.unit) AS n FROM (${units}) u JOIN events e ON e."${key}" = u.unit
       WHERE NOT u.override AND NOT u.moved AND NOT u.bot AND e.ename = ? ${field ? `AND e."${field}" = ?` : ''}
         AND e.received >= u.first_seen AND coalesce(e.bot, false) = false
       GROUP BY u.split`,
      params,
    );
    conversions[goal.name] = Object.fromEntries(converted.map((r) => [String(r.split), Number(r.n)]));
  }
  return { units: byVariant, conversions, excluded };
}
