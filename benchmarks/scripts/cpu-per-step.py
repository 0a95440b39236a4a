#!/usr/bin/env python3
"""Runs PersistBenchmark and prints, next to JMH's output, the CPU time the benchmark's forked JVM
(by thread: writers, activities, JIT compiler, GC) and its embedded PostgreSQL (postmaster, its
backends and the ones it reaped) used per step, from the end of the first measurement iteration to
the end of the last one PostgreSQL was still up for. Linux only (reads /proc; uses ss).

  python3 benchmarks/scripts/cpu-per-step.py benchmarks/target/benchmarks.jar \\
      -p writer=grouped -wi 2 -w 5 -i 5 -r 10
"""
import collections
import os
import re
import subprocess
import sys
import time

HZ = os.sysconf('SC_CLK_TCK')


def cpu(path, reaped=False):
    """CPU seconds of /proc/<path>/stat (a pid or pid/task/tid), with reaped children if asked."""
    try:
        with open(f'/proc/{path}/stat') as f:
            s = f.read()
        fields = s[s.rindex(')') + 2:].split()
        t = int(fields[11]) + int(fields[12])
        if reaped:
            t += int(fields[13]) + int(fields[14])
        return t / HZ
    except (OSError, ValueError):
        return 0.0


def children(ppid):
    out = []
    for d in os.listdir('/proc'):
        if d.isdigit():
            try:
                with open(f'/proc/{d}/stat') as f:
                    s = f.read()
                if int(s[s.rindex(')') + 2:].split()[1]) == ppid:
                    out.append(int(d))
            except (OSError, ValueError):
                pass
    return out


def forked_jvm(parent):
    """The JMH fork: a java child of the host JVM running ForkedMain."""
    for pid in children(parent):
        try:
            if 'ForkedMain' in open(f'/proc/{pid}/cmdline').read():
                return pid
        except OSError:
            pass
    return None


def postmaster_of(jvm):
    """The PostgreSQL listening on a port the JVM is connected to."""
    ports = set()
    for line in subprocess.run(['ss', '-tnpH'], capture_output=True, text=True).stdout.splitlines():
        if f'pid={jvm},' in line:
            ports.add(line.split()[4].rsplit(':', 1)[1])
    for line in subprocess.run(['ss', '-tlnpH'], capture_output=True, text=True).stdout.splitlines():
        if line.split()[3].rsplit(':', 1)[1] in ports:
            m = re.search(r'pid=(\d+)', line)
            if m:
                return int(m.group(1))
    return None


def threads(jvm):
    out = collections.Counter()
    for t in os.listdir(f'/proc/{jvm}/task'):
        try:
            name = re.sub(r'\d+', 'N', open(f'/proc/{jvm}/task/{t}/comm').read().strip())
            out[name] += cpu(f'{jvm}/task/{t}')
        except OSError:
            pass
    return out


def main():
    jar = sys.argv[1]
    cmd = ['java', '-Djmh.ignoreLock=true', '-jar', jar, 'PersistBenchmark'] + sys.argv[2:]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    marks, jvm, pm = [], None, None
    for line in p.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        if jvm is None and 'Iteration' in line:
            jvm = forked_jvm(p.pid)
            pm = postmaster_of(jvm) if jvm else None
        m = re.match(r'Iteration\s+\d+:\s+([\d.,]+) ops/s', line)
        if m and jvm and pm:
            kids = children(pm)
            if kids:  # PostgreSQL still up
                marks.append((time.time(), float(m.group(1).replace(',', '')), threads(jvm),
                              cpu(pm, True) + sum(cpu(k) for k in kids), os.getloadavg()[0]))
    p.wait()
    if len(marks) < 2:
        print('fewer than two measurement iterations seen with PostgreSQL up; nothing to report')
        return
    (t0, _, th0, pg0, _), (t1, _, th1, pg1, _) = marks[0], marks[-1]
    rates = [m[1] for m in marks[1:]]
    steps = sum(rates) / len(rates) * (t1 - t0)
    d = collections.Counter(th1)
    d.subtract(th0)
    jvm_total = sum(d.values())
    print(f'\nCPU over {t1 - t0:.0f} s, ~{steps:.0f} steps, per step: '
          f'PostgreSQL {1000 * (pg1 - pg0) / steps:.3f} ms, JVM {1000 * jvm_total / steps:.3f} ms')
    print('JVM by thread (ms/step): ' +
          ', '.join(f'{k} {1000 * v / steps:.3f}' for k, v in d.most_common(6)))
    print('load average at each iteration: ' + ', '.join(f'{m[4]:.1f}' for m in marks))


if __name__ == '__main__':
    main()
