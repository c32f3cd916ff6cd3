// bottleneck/light.js is the build @octokit/plugin-throttling uses (no Redis clustering); its types are the package's.
declare module 'bottleneck/light.js' {
  import Bottleneck from 'bottleneck';
  export default Bottleneck;
}
