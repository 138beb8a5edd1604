// config.js: a canonical config (docs/API.md) as the manual's config file.
const q = (s) => "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";

export function configFile(c) {
  const out = [];
  const put = (k, v) => { if (v !== undefined && v !== null && v !== '') out.push(`${k} = ${v}`); };
  const hvm = c.builder === 'hvm';
  put('name', c.name && q(c.name));
  if (hvm) put('builder', q('hvm'));
  if (!hvm) put('kernel', c.kernel && q(c.kernel));
  if (!hvm) put('ramdisk', c.ramdisk && q(c.ramdisk));
  put('memory', c.memory);
  if (c.maxmem && c.maxmem !== c.memory) put('maxmem', c.maxmem);
  put('vcpus', c.vcpus);
  put('cpus', c.cpus && q(c.cpus));
  if (c.disks && c.disks.length)
    put('disk', '[' + c.disks.map((d) => q(`${d.uname},${d.dev},${d.mode || 'r'}`)).join(', ') + ']');
  if (c.vifs && c.vifs.length)
    put('vif', '[' + c.vifs.map((v) => q(Object.entries(v).filter(([, x]) => x != null && x !== '')
      .map(([k, x]) => `${k}=${x}`).join(', '))).join(', ') + ']');
  if (hvm) {
    put('cdrom', c.cdrom && q(c.cdrom));
    put('boot', c.boot && q(c.boot));
  } else {
    put('root', c.root && q(c.root));
    put('extra', c.extra && q(c.extra));
  }
  for (const k of ['ip', 'netmask', 'gateway', 'hostname'])
    put(k, c[k] && q(c[k]));
  if (c.dhcp) put('dhcp', q(c.dhcp));
  for (const k of ['on_poweroff', 'on_reboot', 'on_crash'])
    put(k, c[k] && q(c[k]));
  if (c.vnc && !(c.more && 'vnc' in c.more)) put('vnc', 1);
  // The wizard's "More" step: any other schema key, numbers bare.
  for (const [k, v] of Object.entries(c.more || {}))
    put(k, typeof v === 'number' ? v : q(v));
  return out.join('\n') + '\n';
}
