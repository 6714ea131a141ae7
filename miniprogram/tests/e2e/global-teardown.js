module.exports = async () => {
  await require('./backend').stop()
}
