import { expect } from 'chai';
import {
  defaultPath,
  effectiveRunAs,
  envList,
  resolveArgv,
  resolveEnv,
  resolveWorkingDir,
  type ContainerSpec,
  type ImageRunConfig,
} from '../../../node-agent/runtime/container-spec.js';
import { InvalidSpecError } from '../../../node-agent/runtime/errors.js';

describe('runtime/container-spec', () => {
  const image: ImageRunConfig = { Entrypoint: ['/entry', '-x'], Cmd: ['serve', '--port=80'], Env: ['PATH=/opt/bin:/bin', 'A=image'] };
  const spec = (extra: Partial<ContainerSpec> = {}): ContainerSpec => ({ name: 'app', ...extra });

  describe('argv (Kubernetes command/args against ENTRYPOINT/CMD)', () => {
    it('runs ENTRYPOINT + CMD when the spec sets neither', () => {
      expect(resolveArgv(spec(), image)).to.deep.equal(['/entry', '-x', 'serve', '--port=80']);
    });

    it('replaces ENTRYPOINT and drops CMD when the spec sets command', () => {
      expect(resolveArgv(spec({ command: ['/bin/sh'] }), image)).to.deep.equal(['/bin/sh']);
    });

    it('replaces only CMD when the spec sets args', () => {
      expect(resolveArgv(spec({ args: ['debug'] }), image)).to.deep.equal(['/entry', '-x', 'debug']);
    });

    it('runs command + args when the spec sets both', () => {
      expect(resolveArgv(spec({ command: ['/bin/echo'], args: ['a', 'b'] }), image)).to.deep.equal(['/bin/echo', 'a', 'b']);
    });

    it('treats an empty args list as "no CMD"', () => {
      expect(resolveArgv(spec({ args: [] }), image)).to.deep.equal(['/entry', '-x']);
    });

    it('runs CMD alone for an image without ENTRYPOINT', () => {
      expect(resolveArgv(spec(), { Cmd: ['sh'], Entrypoint: null })).to.deep.equal(['sh']);
    });

    it('fails when nothing says what to run', () => {
      expect(() => resolveArgv(spec(), {})).to.throw(InvalidSpecError, /command: neither the container spec nor the image/);
    });

    it('takes command and args as they are (the agent expands $(VAR) before)', () => {
      const s = spec({ env: [{ name: 'GREETING', value: 'hi' }], command: ['/bin/echo', '$(GREETING)'], args: ['$$(GREETING)'] });
      expect(resolveArgv(s, image)).to.deep.equal(['/bin/echo', '$(GREETING)', '$$(GREETING)']);
    });
  });

  describe('env', () => {
    it('overlays the spec env on the image Env, replacing in place and appending new names', () => {
      const env = resolveEnv(spec({ env: [{ name: 'B', value: 'spec' }, { name: 'A', value: 'spec' }] }), image);
      expect(envList(env)).to.deep.equal(['PATH=/opt/bin:/bin', 'A=spec', 'B=spec']);
    });

    it('defaults PATH when neither image nor spec sets it', () => {
      expect(resolveEnv(spec(), {}).get('PATH')).to.equal(defaultPath);
    });

    it('lets the spec override PATH', () => {
      expect(resolveEnv(spec({ env: [{ name: 'PATH', value: '/x' }] }), image).get('PATH')).to.equal('/x');
    });

    it('adds runtime extras (HOME, HOSTNAME) only when not already set', () => {
      const env = resolveEnv(spec({ env: [{ name: 'HOME', value: '/data' }] }), {}, { HOME: '/root', HOSTNAME: 'web-0' });
      expect(env.get('HOME')).to.equal('/data');
      expect(env.get('HOSTNAME')).to.equal('web-0');
    });

    it('takes values as they are (the agent expands $(VAR) before)', () => {
      const env = resolveEnv(spec({ env: [{ name: 'X', value: 'a' }, { name: 'Y', value: '$(X)-$$' }] }), image);
      expect(env.get('Y')).to.equal('$(X)-$$');
    });

    it('treats a missing value as empty', () => {
      expect(resolveEnv(spec({ env: [{ name: 'EMPTY' }] }), {}).get('EMPTY')).to.equal('');
    });

    it('rejects an invalid variable name with its field path', () => {
      expect(() => resolveEnv(spec({ env: [{ name: 'OK', value: '' }, { name: '1=x', value: '' }] }), {})).to.throw(
        InvalidSpecError,
        /env\[1\]\.name: '1=x' is not a valid environment variable name/,
      );
    });
  });

  describe('working directory', () => {
    it('prefers the spec, then the image, then /', () => {
      expect(resolveWorkingDir(spec({ workingDir: '/srv' }), { WorkingDir: '/app' })).to.equal('/srv');
      expect(resolveWorkingDir(spec(), { WorkingDir: '/app' })).to.equal('/app');
      expect(resolveWorkingDir(spec(), {})).to.equal('/');
    });

    it('rejects a relative working directory', () => {
      expect(() => resolveWorkingDir(spec({ workingDir: 'srv' }), {})).to.throw(InvalidSpecError, /workingDir: 'srv' is not an absolute path/);
    });
  });

  describe('run-as settings', () => {
    it('takes each field from the container securityContext, else from the pod', () => {
      const pod = { securityContext: { runAsUser: 1, runAsGroup: 2, runAsNonRoot: true } };
      expect(effectiveRunAs(spec({ securityContext: { runAsUser: 10 } }), pod)).to.deep.equal({ runAsUser: 10, runAsGroup: 2, runAsNonRoot: true });
      expect(effectiveRunAs(spec({ securityContext: { runAsNonRoot: false } }), pod)).to.deep.equal({ runAsUser: 1, runAsGroup: 2, runAsNonRoot: false });
      expect(effectiveRunAs(spec(), {})).to.deep.equal({ runAsUser: undefined, runAsGroup: undefined, runAsNonRoot: undefined });
    });
  });
});
