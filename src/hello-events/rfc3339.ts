// RFC 3339 date-time (the CloudEvents Timestamp type): full date, 'T', full time, and a zone ('Z' or an offset).
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** The calendar is checked too: 2024-02-30 matches the pattern and is still no date. */
export function isRfc3339(text: string): boolean {
  const match = RFC3339.exec(text);
  if (!match) return false;
  const [year = 0, month = 0, day = 0, hour = 99, minute = 99, second = 99, , offsetHour = 0, offsetMinute = 0] = match
    .slice(1)
    .map((part) => Number(part ?? 0));
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return (
    month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth &&
    hour <= 23 && minute <= 59 && second <= 60 && // 60: a leap second
    offsetHour <= 23 && offsetMinute <= 59
  );
}
