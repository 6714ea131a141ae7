// The app: tab-bar labels follow the user's language; everything else lives in the pages and lib/.
const i18n = require('./lib/i18n')
require('./lib/ui')

App({
  onLaunch() {
    this.applyTabBar()
  },
  applyTabBar() {
    ;['tab.home', 'tab.timeline', 'tab.me'].forEach((key, index) => {
      wx.setTabBarItem({ index, text: i18n.t(key) })
    })
  },
})
