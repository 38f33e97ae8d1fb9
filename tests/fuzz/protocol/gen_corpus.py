#!/usr/bin/env python3
"""Regenerates the seed corpora of the protocol fuzz targets from the
recorded APF sessions in the shared fixtures (run from anywhere):

    gen_corpus.py [FIXTURES_DIR]

corpus/apf_decode/   byte 0 = decoder options, then recorded messages
corpus/apf_session/  byte 0 = harness options, then a device byte stream
"""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    HERE, '..', '..', '..', '..', 'shared', 'fixtures')
APF = os.path.join(FIX, 'apf')
SESSIONS = [
    'meshcentral-client_meshcentral-mps_auth-ok',
    'meshcentral-client_meshcentral-mps_auth-fail',
    'test-device_openamt-mps_power-boot-version',
]
# Session harness byte 0: bit0 reject, bit1 async verdict, bits2-3 read
# chunking (0 all, 1 single bytes, 2-3 random), bit4 tight limits.
SESSION_MODES = [0x00, 0x01, 0x02, 0x08, 0x14, 0x0a]
CAP = 6000          # bytes of device stream per seed file


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(bytes(data))


def load(session, kind):
    with open(os.path.join(APF, '%s.%s.jsonl' % (session, kind))) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    dec = os.path.join(HERE, 'corpus', 'apf_decode')
    ses = os.path.join(HERE, 'corpus', 'apf_session')
    for d in (dec, ses):
        if os.path.isdir(d):
            for n in os.listdir(d):
                os.remove(os.path.join(d, n))
    # Decoder: one file per distinct (direction, type), plus whole streams.
    seen = {}
    for s in SESSIONS:
        for m in load(s, 'messages'):
            if m['type'] == 0:
                continue
            key = (m['dir'], m['type'])
            if key not in seen or len(m['hex']) < len(seen[key]):
                seen[key] = m['hex']
    for (dirn, t), hx in sorted(seen.items()):
        # REQUEST_SUCCESS from the server carries the port: flag bit 0.
        opt = 0x07 if (dirn == 's2c' and t == 81) else 0x06
        write(dec, 'msg-%s-%03d' % (dirn, t), [opt] + list(bytes.fromhex(hx)))
    for i, s in enumerate(SESSIONS):
        for dirn in ('c2s', 's2c'):
            data = b''.join(bytes.fromhex(r['hex']) for r in load(s, 'records')
                            if r['dir'] == dirn and r['conn'] == 1)[:CAP]
            opt = 0x07 if dirn == 's2c' else 0x06
            write(dec, 'stream-%d-%s' % (i, dirn), [opt] + list(data))
    # Session: the device side of each connection, in several modes.
    n = 0
    for i, s in enumerate(SESSIONS):
        recs = load(s, 'records')
        conns = sorted({r['conn'] for r in recs})
        for c in conns:
            data = b''.join(bytes.fromhex(r['hex']) for r in recs
                            if r['dir'] == 'c2s' and r['conn'] == c)[:CAP]
            for mode in SESSION_MODES:
                if c > 2 and mode not in (0x00, 0x0a):
                    continue
                write(ses, 'sess-%d-conn%d-mode%02x' % (i, c, mode),
                      [mode] + list(data))
                n += 1
    print('decode seeds: %d, session seeds: %d' % (
        len(os.listdir(dec)), len(os.listdir(ses))))


if __name__ == '__main__':
    main()
