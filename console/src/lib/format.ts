// Times from the API carry +08:00; the console shows them in the city's time, in the user's language.
export function localTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—'
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return '—'
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: 'Asia/Shanghai',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date)
}

/** Today's date in Asia/Shanghai as YYYY-MM-DD (what the API means by a day). */
export function cityToday(now: Date = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now)
}

/** An <input type="datetime-local"> value (city time) as ISO 8601 with the +08:00 offset the API requires. */
export function withCityOffset(local: string): string {
  return local.length === 16 ? `${local}:00+08:00` : `${local}+08:00`
}
