#!/usr/bin/env python3
"""tsdb_tool_check.py - the oracles of tsdb_tool.sh that are not promtool's
own output, computed independently of flint from promtool's dump, the
block's meta.json and its chunk files (Prometheus's documented formats).

  analyze-canon FILE          promtool/flinttool `tsdb analyze` output in a
                              tie-insensitive form: header lines as printed
                              (2.42's "Series:" read as 3.x's "Total Series:"),
                              then each list sorted
  analyze-expect DUMP META [MATCHER]
                              what `tsdb analyze --limit=<all>` prints for the
                              block of META, from promtool's dump of that
                              block's time range (labels and first/last
                              sample of every series), in the canonical form
  limited FULL LIMITED N      LIMITED (an analyze with --limit=N) holds, per
                              list, the N largest of FULL's counts in order,
                              each line one of FULL's
  compaction BLOCKDIR         3.x's "Compaction analysis" section for the
                              block, from its chunk segments
  seriesjson DUMP             `tsdb dump --format=seriesjson` lines (sorted)
                              from a dump's label sets
  set-labels DUMP NAME=VALUE...
                              a prom dump with labels set on every series
                              (what create-blocks-from --label does), sorted
  om-validate FILE            parse FILE as OpenMetrics with
                              python3-prometheus-client; print the samples
  sd-canon FILE [v2]          check service-discovery JSON, entries sorted;
                              v2: an entry with an error gets 2.42's empty
                              discoveredLabels
"""
import json
import os
import re
import sys

HEADER_RE = re.compile(r'^(Block ID|Duration|Total Series|Series|Matcher|Label names|Matched series|'
                       r'Postings \(unique label pairs\)|Postings entries \(total label pairs\)): ')


def sections(text):
    """(header lines, {title: [lines]}, tail) of an analyze output."""
    head, lists, tail = [], {}, []
    cur = None
    for line in text.split('\n'):
        if line.startswith('Compaction analysis:'):
            cur = 'tail'
        if cur == 'tail':
            tail.append(line)
        elif line.endswith(':') and not HEADER_RE.match(line):
            cur = line[:-1]
            lists[cur] = []
        elif line == '':
            continue
        elif cur is None:
            head.append(line.replace('Series: ', 'Total Series: ') if line.startswith('Series: ') else line)
        elif lists[cur] and not re.match(r'^\d+ ', line):
            lists[cur][-1] += '\n' + line  # a label value with a newline
        else:
            lists[cur].append(line)
    return head, lists, tail


def canon(head, lists):
    out = list(head)
    for title, lines in lists.items():
        out.append(title + ':')
        out.extend(sorted(x.replace('\n', '\\n') for x in lines))
    return '\n'.join(out) + '\n'


def analyze_canon(path):
    head, lists, _ = sections(open(path, encoding='utf-8').read())
    sys.stdout.write(canon(head, lists))


LINE_RE = re.compile(r'^(\{.*\}) (\S+) (-?\d+)$')


GO_ESC = {'a': 7, 'b': 8, 'f': 12, 'n': 10, 'r': 13, 't': 9, 'v': 11, '\\': 92, '"': 34}


def parse_labels(s):
    """{a="b", c="d"} as Go's labels.String() prints it (values in
    strconv.Quote's syntax) -> [(name, value)]."""
    out, i = [], 1
    while i < len(s) - 1:
        eq = s.index('=', i)
        name = s[i:eq]
        j = eq + 2
        val = bytearray()
        while s[j] != '"':
            c = s[j]
            if c != '\\':
                val += c.encode()
                j += 1
                continue
            e = s[j + 1]
            if e in GO_ESC:
                val.append(GO_ESC[e])
                j += 2
            elif e == 'x':
                val.append(int(s[j + 2:j + 4], 16))
                j += 4
            else:
                width = 4 if e == 'u' else 8
                val += chr(int(s[j + 2:j + 2 + width], 16)).encode()
                j += 2 + width
        out.append((name, val.decode('utf-8', 'surrogateescape')))
        i = j + 1
        if s[i:i + 2] == ', ':
            i += 2
    return out


def dump_series(path):
    """{labels string: (labels, first ts, last ts)} of a prom dump."""
    series = {}
    for line in open(path, encoding='utf-8'):
        m = LINE_RE.match(line.rstrip('\n'))
        if not m:
            raise SystemExit('bad dump line: ' + line)
        key, ts = m.group(1), int(m.group(3))
        if key in series:
            ls, lo, hi = series[key]
            series[key] = (ls, min(lo, ts), max(hi, ts))
        else:
            series[key] = (parse_labels(key), ts, ts)
    return series


def analyze_expect(dump, meta, matcher):
    m = json.load(open(meta))
    rng = m['maxTime'] - m['minTime']
    series = dump_series(dump)
    pair_unc, name_unc, pair_count, values = {}, {}, {}, {}
    entries = 0
    for ls, lo, hi in series.values():
        unc = rng - (hi - lo)
        for n, v in ls:
            k = n + '=' + v
            pair_unc[k] = pair_unc.get(k, 0) + unc
            name_unc[n] = name_unc.get(n, 0) + unc
            pair_count[k] = pair_count.get(k, 0) + 1
            values.setdefault(n, set()).add(v)
            entries += 1
    head = ['Block ID: ' + m['ulid']]
    head.append('Duration: ' + go_duration_ms(rng))
    head.append('Total Series: %d' % m['stats']['numSeries'])
    if matcher:
        head.append('Matcher: ' + matcher)
    head.append('Label names: %d' % len(values))
    if matcher:
        head.append('Matched series: %d' % len(series))
    head.append('Postings (unique label pairs): %d' % len(pair_unc))
    head.append('Postings entries (total label pairs): %d' % entries)
    churn = lambda d: ['%d %s' % (int(float(u) / float(rng)), k) for k, u in d.items()]
    lists = {
        'Label pairs most involved in churning': churn(pair_unc),
        'Label names most involved in churning': churn(name_unc),
        'Most common label pairs': ['%d %s' % (c, k) for k, c in pair_count.items()],
        'Label names with highest cumulative label value length':
            ['%d %s' % (sum(len(v.encode()) for v in vs), n) for n, vs in values.items()],
        'Highest cardinality labels': ['%d %s' % (len(vs), n) for n, vs in values.items()],
        'Highest cardinality metric names':
            ['%d %s' % (c, k[len('__name__='):]) for k, c in pair_count.items() if k.startswith('__name__=')],
    }
    sys.stdout.write(canon(head, lists))


def go_duration_ms(ms):
    if ms == 0:
        return '0s'
    if ms < 1000:
        return '%dms' % ms
    s, frac = divmod(ms, 1000)
    out = ''
    if s >= 3600:
        out += '%dh' % (s // 3600)
    if s >= 60:
        out += '%dm' % (s // 60 % 60)
    out += '%d' % (s % 60)
    if frac:
        out += ('.%03d' % frac).rstrip('0')
    return out + 's'


def limited(full, lim, n):
    _, fl, _ = sections(open(full, encoding='utf-8').read())
    _, ll, _ = sections(open(lim, encoding='utf-8').read())
    n = int(n)
    bad = 0
    for title, lines in fl.items():
        counts = sorted((int(x.split(' ', 1)[0]) for x in lines), reverse=True)[:n]
        got = ll.get(title, [])
        if [int(x.split(' ', 1)[0]) for x in got] != counts:
            print('%s: counts %s, want %s' % (title, [x.split(' ', 1)[0] for x in got], counts))
            bad += 1
        extra = [x for x in got if x not in set(lines)]
        if extra:
            print('%s: lines not in the full list: %s' % (title, extra[:3]))
            bad += 1
    sys.exit(1 if bad else 0)


def uvarint(b, i):
    x = s = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7f) << s
        if c < 0x80:
            return x, i
        s += 7


def display_histogram(what, datas, total):
    """promtool 3.x's displayHistogram."""
    if not datas:
        return '%s: N/A\n\n' % what
    datas = sorted(datas)
    lo, hi = datas[0], datas[-1]
    s, step = (hi - lo) // 10, 10
    while step < s and step <= 10000:
        step *= 10
    start, end = lo - lo % step, hi - hi % step + step
    buckets = [0] * ((end - start) // step + 1)
    for c in datas:
        buckets[(c - start) // step] += 1
    out = '%s (min/avg/max): %d/%d/%d\n' % (what, lo, sum(datas) // len(datas), hi)
    wl, wr, wc = len(str(end)), len(str(end + step)), len(str(max(buckets)))
    for i, c in enumerate(buckets):
        out += '[%*d, %*d]: %*d %s\n' % (wl, i * step + start + 1, wr, (i + 1) * step + start, wc, c,
                                         '#' * (100 * c // total))
    return out + '\n'


def compaction(bdir):
    samples, sizes, total = [], [], 0
    cdir = os.path.join(bdir, 'chunks')
    for seg in sorted(os.listdir(cdir)):
        b = open(os.path.join(cdir, seg), 'rb').read()
        i = 8
        while i < len(b):
            n, j = uvarint(b, i)
            if n == 0:
                break
            enc = b[j]
            data = b[j + 1:j + 1 + n]
            if enc == 1:
                samples.append(int.from_bytes(data[:2], 'big'))
                sizes.append(n)
            total += 1
            i = j + 1 + n + 4
    out = '\nCompaction analysis:\n\n'
    out += display_histogram('samples per float chunk', samples, total)
    out += display_histogram('bytes per float chunk', sizes, total)
    for w in ('samples per histogram chunk', 'bytes per histogram chunk', 'buckets per histogram chunk'):
        out += display_histogram(w, [], total)
    sys.stdout.write(out)


def seriesjson(dump):
    seen = set()
    for key, (ls, _, _) in dump_series(dump).items():
        seen.add(json.dumps(dict(ls), separators=(',', ':'), ensure_ascii=False)
                 .replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026'))
    for s in sorted(seen):
        print(s)


def set_labels(dump, kvs):
    pair = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    out = []
    for line in open(dump, encoding='utf-8'):
        m = LINE_RE.match(line.rstrip('\n'))
        ls = dict(pair.findall(m.group(1)))
        for kv in kvs:
            k, v = kv.split('=', 1)
            ls[k] = v
        out.append('{%s} %s %s' % (', '.join('%s="%s"' % (k, ls[k]) for k in sorted(ls)), m.group(2), m.group(3)))
    for line in sorted(out, key=lambda x: x.encode()):
        print(line)


def om_validate(path):
    sys.path.insert(0, '/usr/lib/python3/dist-packages')
    from prometheus_client import samples as pcs
    # python3-prometheus-client 0.16 compares Timestamps field by field
    # (1699999999.540 > 1700000007.188); compare them as numbers.
    pcs.Timestamp.__gt__ = lambda a, b: (a.sec, a.nsec) > (b.sec, b.nsec)
    pcs.Timestamp.__lt__ = lambda a, b: (a.sec, a.nsec) < (b.sec, b.nsec)
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
    n = 0
    for fam in text_string_to_metric_families(open(path, encoding='utf-8').read()):
        n += len(fam.samples)
    print(n)


def sd_canon(path, v2):
    v = json.load(open(path))
    if v2:
        for e in v:
            if 'error' in e:
                e['discoveredLabels'] = {}
    for e in sorted(v, key=lambda e: json.dumps(e, sort_keys=True)):
        print(json.dumps(e, sort_keys=True))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'analyze-canon':
        analyze_canon(args[0])
    elif cmd == 'analyze-expect':
        analyze_expect(args[0], args[1], args[2] if len(args) > 2 else None)
    elif cmd == 'limited':
        limited(*args)
    elif cmd == 'compaction':
        compaction(args[0])
    elif cmd == 'seriesjson':
        seriesjson(args[0])
    elif cmd == 'set-labels':
        set_labels(args[0], args[1:])
    elif cmd == 'om-validate':
        om_validate(args[0])
    elif cmd == 'sd-canon':
        sd_canon(args[0], len(args) > 1)
    else:
        raise SystemExit('unknown command ' + cmd)


if __name__ == '__main__':
    main()
