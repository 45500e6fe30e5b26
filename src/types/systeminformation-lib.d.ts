// systeminformation's index loads all of its two dozen modules (network,
// docker, wifi, bluetooth...); the agent's inventory needs four. Each module
// file is typed here by the declarations the package gives its index.
declare module 'systeminformation/lib/system.js' {
  export { system } from 'systeminformation';
}
declare module 'systeminformation/lib/osinfo.js' {
  export { osInfo } from 'systeminformation';
}
declare module 'systeminformation/lib/cpu.js' {
  export { cpu } from 'systeminformation';
}
declare module 'systeminformation/lib/memory.js' {
  export { mem } from 'systeminformation';
}
