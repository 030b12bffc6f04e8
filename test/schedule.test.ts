import {
  CRON_MACROS,
  cronScheduleProblem,
  isIanaTimeZone,
  validateSchedule,
  validateTimeZone,
} from '../src/jobs/schedule';

// What the Kubernetes CronJob validation (robfig/cron v3.0.1 ParseStandard) accepts and refuses.
describe('cron schedules', () => {
  test.each([
    '0 6 * * *',
    '* * * * *',
    '*/15 * * * *',
    '0 0-23/2 * * *',
    '5/10 * * * *',
    '30 4 1,15 * *',
    '0 9 * * MON-FRI',
    '0 9 * * mon,wed,fri',
    '0 0 1 JAN,JUL *',
    '0 0 1 jan-jun/2 *',
    '0 12 ? * SUN',
    '0 12 1 * ?',
    '0 0 31 12 6',
    '59 23 31 12 0',
    '0  6   *  * *',
    ...CRON_MACROS,
  ])('accepts %j', (schedule) => {
    expect(cronScheduleProblem(schedule)).toBeUndefined();
    expect(validateSchedule('jobs/p', 'schedule', schedule)).toBe(schedule);
  });

  test.each([
    ['', 'the schedule is empty'],
    [' 0 6 * * *', 'leading or trailing white space'],
    ['0 6 * *', '4 fields instead of 5'],
    ['0 6 * * * *', '6 fields instead of 5'],
    ['daily', '1 field instead of 5'],
    ['60 * * * *', 'minute: 60 is outside 0-59'],
    ['0 24 * * *', 'hour: 24 is outside 0-23'],
    ['0 0 0 * *', 'day of month: 0 is outside 1-31'],
    ['0 0 32 * *', 'day of month: 32 is outside 1-31'],
    ['0 0 * 13 *', 'month: 13 is outside 1-12'],
    ['0 0 * 0 *', 'month: 0 is outside 1-12'],
    ['0 0 * * 7', 'day of week: 7 is outside 0-6'],
    ['0 0 * * SUN-7', 'day of week: 7 is outside 0-6'],
    ['0 0 * FOO *', "month: 'FOO' is not a number or a name"],
    ['0 0 * * MONDAY', "day of week: 'MONDAY' is not a number or a name"],
    ['MON * * * *', "minute: 'MON' is not a number"],
    ['0 5-2 * * *', "hour: range '5-2' starts after it ends"],
    ['*/0 * * * *', "minute: step '0' in '*/0' is not a positive integer"],
    ['*/x * * * *', "minute: step 'x' in '*/x' is not a positive integer"],
    ['1/2/3 * * * *', "minute: '1/2/3' has more than one '/'"],
    ['1-2-3 * * * *', "minute: '1-2-3' has more than one '-'"],
    ['1,,2 * * * *', 'minute: empty list item'],
    ['+5 * * * *', "minute: '+5' is not a number"],
    ['-5 * * * *', "minute: '' is not a number"],
    ['? * * * *', "minute: '?' is only allowed in the day of month and day of week fields"],
    ['0 0 * ? *', "month: '?' is only allowed in the day of month and day of week fields"],
    ['@every 1h', "unknown macro '@every 1h'"],
    ['@reboot', "unknown macro '@reboot'"],
    ['@DAILY', "unknown macro '@DAILY'"],
    ['CRON_TZ=Europe/Berlin 0 6 * * *', 'time zone prefix'],
    ['TZ=UTC 0 6 * * *', 'time zone prefix'],
  ])('rejects %j: %s', (schedule, problem) => {
    expect(cronScheduleProblem(schedule)).toContain(problem);
  });

  test('the error names the construct, the field, the value, what is allowed and the problem', () => {
    expect(() => validateSchedule('sales/customer-360', 'schedule', '0 0 * * 7')).toThrow(
      'sales/customer-360: invalid schedule: got "0 0 * * 7", expected a cron expression of 5 fields separated ' +
        'by spaces - minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC, day of week 0-6 or ' +
        "SUN-SAT (Sunday is 0; 7 is refused) - each field '*', a value, a range 'a-b', a step '*/n', 'a/n' or " +
        "'a-b/n', or a comma-separated list of those ('?' means '*' in the day fields); or one of @yearly, " +
        '@annually, @monthly, @weekly, @daily, @midnight, @hourly (day of week: 7 is outside 0-6)',
    );
  });

  test('the macros are the descriptors the Kubernetes parser knows, without @every', () => {
    expect([...CRON_MACROS]).toEqual([
      '@yearly',
      '@annually',
      '@monthly',
      '@weekly',
      '@daily',
      '@midnight',
      '@hourly',
    ]);
  });
});

describe('time zones', () => {
  test.each([
    'UTC',
    'Etc/UTC',
    'Europe/Berlin',
    'America/New_York',
    'America/Argentina/Buenos_Aires',
    'Asia/Kolkata', // ICU lists it as Asia/Calcutta
    'Europe/Kyiv', // ICU lists it as Europe/Kiev
    'Etc/GMT+5',
    'US/Eastern',
  ])('accepts %s', (tz) => {
    expect(isIanaTimeZone(tz)).toBe(true);
    expect(validateTimeZone('p', 'timeZone', tz)).toBe(tz);
  });

  test.each([
    '',
    'Local',
    'europe/berlin',
    'EUROPE/BERLIN',
    'Mars/Olympus',
    '+01:00',
    'UTC+1',
    'CET ',
    'Europe//Berlin',
    '/UTC',
  ])('rejects %j', (tz) => {
    expect(isIanaTimeZone(tz)).toBe(false);
    expect(() => validateTimeZone('sales/customer-360', 'timeZone', tz)).toThrow(
      `sales/customer-360: invalid timeZone: got ${JSON.stringify(tz)}, expected an IANA time zone name spelled as in the tz database, e.g. 'Europe/Berlin', 'America/New_York' or 'UTC' (not 'Local', not an offset)`,
    );
  });
});
