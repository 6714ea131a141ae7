// Inbox links open the right page, whether the backend sends a page path or an API path.
const { pageForLink } = require('../../app/lib/links')

test('timeline__inbox_links_map_onto_pages', () => {
  expect(pageForLink('/pages/gov/case?id=abc')).toBe('/pages/gov/case?id=abc')
  expect(pageForLink('/api/v1/bookings/b1')).toBe('/pages/bookings/detail?id=b1')
  expect(pageForLink('/api/v1/gov/applications/c1')).toBe('/pages/gov/case?id=c1')
  expect(pageForLink('/api/v1/community/reports/r1')).toBe('/pages/community/report-detail?id=r1')
  expect(pageForLink('')).toBe('')
})
