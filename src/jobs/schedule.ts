import { IConstruct } from 'constructs';
import { FloeValidationError } from '../core/errors';

/**
 * Cron schedules and time zones as the Kubernetes CronJob controller accepts them.
 *
 * Kubernetes validates `spec.schedule` with `cron.ParseStandard` of github.com/robfig/cron/v3
 * (v3.0.1): five fields separated by white space, or a descriptor. That parser's bounds are minute
 * 0-59, hour 0-23, day of month 1-31, month 1-12 (JAN-DEC), day of week 0-6 (SUN-SAT): a `7` for
 * Sunday, which some crons accept, is rejected there, so it is rejected here. The checks below are
 * the parser's, made a little stricter where its leniency hides mistakes (empty list items, `+5`,
 * `?` outside the day fields, `@every`), so an accepted schedule always passes the API server.
 */

/** Descriptors (macros) accepted in place of the five fields. */
export const CRON_MACROS: readonly string[] = [
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
  readonly questionMark: boolean;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly CronField[] = [
  { name: 'minute', min: 0, max: 59, questionMark: false },
  { name: 'hour', min: 0, max: 23, questionMark: false },
  { name: 'day of month', min: 1, max: 31, questionMark: true },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: Object.fromEntries(MONTH_NAMES.map((n, i) => [n, i + 1])),
    questionMark: false,
  },
  {
    name: 'day of week',
    min: 0,
    max: 6,
    names: Object.fromEntries(DAY_NAMES.map((n, i) => [n, i])),
    questionMark: true,
  },
];

/** What `validateSchedule` accepts, for error messages. */
export const CRON_ALLOWED =
  'a cron expression of 5 fields separated by spaces - minute 0-59, hour 0-23, day of month 1-31, ' +
  'month 1-12 or JAN-DEC, day of week 0-6 or SUN-SAT (Sunday is 0; 7 is refused) - each field ' +
  "'*', a value, a range 'a-b', a step '*/n', 'a/n' or 'a-b/n', or a comma-separated list of those " +
  "('?' means '*' in the day fields); or one of " +
  CRON_MACROS.join(', ');

const NUMBER = /^[0-9]+$/;

function parseValue(field: CronField, text: string): number | string {
  const named = field.names?.[text.toUpperCase()];
  if (named !== undefined) {
    return named;
  }
  if (!NUMBER.test(text)) {
    return `${field.name}: '${text}' is not a number${field.names ? ' or a name' : ''}`;
  }
  const value = Number(text);
  if (value < field.min || value > field.max) {
    return `${field.name}: ${value} is outside ${field.min}-${field.max}`;
  }
  return value;
}

function checkItem(field: CronField, item: string): string | undefined {
  if (item === '') {
    return `${field.name}: empty list item`;
  }
  const parts = item.split('/');
  if (parts.length > 2) {
    return `${field.name}: '${item}' has more than one '/'`;
  }
  const [range, step] = parts;
  if (step !== undefined && (!NUMBER.test(step) || Number(step) < 1)) {
    return `${field.name}: step '${step}' in '${item}' is not a positive integer`;
  }
  if (range === '*' || range === '?') {
    if (range === '?' && !field.questionMark) {
      return `${field.name}: '?' is only allowed in the day of month and day of week fields`;
    }
    return undefined;
  }
  const bounds = range.split('-');
  if (bounds.length > 2) {
    return `${field.name}: '${item}' has more than one '-'`;
  }
  const values = bounds.map((b) => parseValue(field, b));
  const problem = values.find((v): v is string => typeof v === 'string');
  if (problem !== undefined) {
    return problem;
  }
  const [start, end] = values as number[];
  if (end !== undefined && start > end) {
    return `${field.name}: range '${range}' starts after it ends`;
  }
  return undefined;
}

/**
 * Describes what is wrong with a schedule, or returns `undefined` when the Kubernetes CronJob
 * controller accepts it.
 */
export function cronScheduleProblem(schedule: string): string | undefined {
  if (typeof schedule !== 'string' || schedule.length === 0) {
    return 'the schedule is empty';
  }
  if (schedule !== schedule.trim()) {
    return 'leading or trailing white space';
  }
  if (schedule.includes('TZ')) {
    return 'a time zone prefix (CRON_TZ= or TZ=) is refused by Kubernetes next to the timeZone field: set timeZone instead';
  }
  if (schedule.startsWith('@')) {
    return CRON_MACROS.includes(schedule) ? undefined : `unknown macro '${schedule}'`;
  }
  const fields = schedule.split(/\s+/);
  if (fields.length !== FIELDS.length) {
    return `${fields.length} field${fields.length === 1 ? '' : 's'} instead of 5`;
  }
  for (let i = 0; i < FIELDS.length; i++) {
    for (const item of fields[i].split(',')) {
      const problem = checkItem(FIELDS[i], item);
      if (problem !== undefined) {
        return problem;
      }
    }
  }
  return undefined;
}

/** Checks a CronJob schedule (see `CRON_ALLOWED`); the error names the problem. */
export function validateSchedule(scope: IConstruct | string, field: string, value: string): string {
  const problem = cronScheduleProblem(value);
  if (problem !== undefined) {
    throw new FloeValidationError(scope, field, value, `${CRON_ALLOWED} (${problem})`);
  }
  return value;
}

// One component of an IANA zone name as Kubernetes checks it (letters, digits, '.', '-', '_', '+',
// 1 to 14 characters); in the tz database every component starts with an upper-case letter.
const ZONE_COMPONENT = /^[A-Z][A-Za-z.\-_0-9+]{0,13}$/;

let canonicalZones: ReadonlySet<string> | undefined;

function zones(): ReadonlySet<string> {
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC']);
  return canonicalZones;
}

/**
 * True for an IANA time zone name the Kubernetes API server resolves. Accepted: the zones
 * `Intl.supportedValuesOf('timeZone')` lists (ICU's canonical names, e.g. `Europe/Berlin`), `UTC`,
 * `Etc/UTC`, and other names ICU resolves (aliases such as `Asia/Kolkata` or `Europe/Kyiv`, which
 * ICU lists under older names, and unlisted zones such as `Etc/GMT+5`) when spelled as the tz
 * database spells names. Refused: `Local`, offsets (`+01:00`), POSIX strings, and other spellings
 * of a listed name (`europe/berlin`), which ICU accepts but Go's `time.LoadLocation` on the API
 * server does not.
 */
export function isIanaTimeZone(name: string): boolean {
  if (typeof name !== 'string') {
    return false;
  }
  const known = zones();
  if (known.has(name)) {
    return true;
  }
  const components = name.split('/');
  if (name === 'Local' || !components.every((c) => ZONE_COMPONENT.test(c))) {
    return false;
  }
  const lower = name.toLowerCase();
  if ([...known].some((z) => z.toLowerCase() === lower)) {
    return false;
  }
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    return known.has(resolved) || resolved === name;
  } catch {
    return false;
  }
}

/** Checks a CronJob `timeZone`: an IANA name (see `isIanaTimeZone`). */
export function validateTimeZone(scope: IConstruct | string, field: string, value: string): string {
  if (!isIanaTimeZone(value)) {
    throw new FloeValidationError(
      scope,
      field,
      value,
      "an IANA time zone name spelled as in the tz database, e.g. 'Europe/Berlin', 'America/New_York' or 'UTC' (not 'Local', not an offset)",
    );
  }
  return value;
}
