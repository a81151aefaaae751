#!/usr/bin/python3
"""Build a large capture from a small capture of real handshakes (bench/bench_offline.sh).

    replicate.py SEED.pcap OUT.pcap --ports 443,8443 --handshakes N

SEED.pcap: a pcap (microsecond or nanosecond, Ethernet) that tcpdump wrote on the lab
server's veth while real clients connected. The TCP connections to the server ports whose
client SYN is in the seed are kept (a "handshake" here is one such connection, whatever its
outcome: tlsnoop reports one event for each); anything else (ARP, a connection whose SYN is
missing) is dropped and counted.

OUT.pcap holds K = ceil(N / C) copies of the C kept connections, one copy after the other,
each copy with the seed's own packet order and inter-packet times. In copy k, connection j
(global index g = k*C + j):

  * the client address becomes 198.18.0.0/15 host number 256 + (g mod 130816), i.e.
    198.18.1.0 .. 198.19.255.255 (never the lab's 198.18.0.x), and the client port
    1024 + (g div 130816) * 7 + (original port mod 7): every 4-tuple is unique in the file;
  * both initial sequence numbers get a per-connection pseudo-random offset, applied to
    seq, ack (when the ACK flag is set) and SACK blocks of every packet of the connection,
    so every copy is sequence-consistent (SYN, data, FIN, RST line up as in the seed);
  * times are shifted by k * (seed span + 1 s): the file is in time order;
  * the IPv4 header checksum and the TCP checksum are recomputed (a seed captured on a
    veth holds offload-partial TCP checksums; the output's are all valid).

MAC addresses, IP IDs, TTLs, TCP timestamps options and every payload byte are the seed's.
Only IPv4 is replicated (the benchmark's clients use IPv4).

Prints one line of counts on stdout:
    seed_packets=.. seed_connections=C dropped_packets=.. copies=K handshakes=K*C packets=..
"""
import argparse
import math
import struct
import sys

PCAP_US = 0xA1B2C3D4
PCAP_NS = 0xA1B23C4D
SYN, RST, ACK = 0x02, 0x04, 0x10
ADDR_BASE = (198 << 24) | (18 << 16)      # 198.18.0.0
ADDR_FIRST = 256                           # 198.18.1.0
ADDR_COUNT = (1 << 17) - ADDR_FIRST        # up to 198.19.255.255
PORT_FIRST = 1024
PORT_SLOTS = 7


def die(msg):
    sys.stderr.write("replicate: %s\n" % msg)
    sys.exit(1)


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        die("%s: not a pcap file (too short)" % path)
    for order in ("<", ">"):
        magic, = struct.unpack(order + "I", data[:4])
        if magic in (PCAP_US, PCAP_NS):
            break
    else:
        die("%s: not a pcap file (pcapng is not supported: write it with tcpdump -w)" % path)
    header = data[:24]
    linktype = struct.unpack(order + "I", data[20:24])[0] & 0x0FFFFFFF
    if linktype != 1:
        die("%s: link type %d, only Ethernet (1) is supported" % (path, linktype))
    tick = 10**9 if magic == PCAP_NS else 10**6
    pkts, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(order + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            break
        pkts.append((sec * tick + frac, wirelen, data[off:off + caplen]))
        off += caplen
    return order, header, tick, pkts


def csum_fold(s):
    """Ones' complement checksum of data whose big-endian integer value is s: the 16-bit
    ones' complement sum is congruent to s modulo 0xffff."""
    s %= 0xFFFF
    return 0xFFFF - (s or 0xFFFF)


def sack_offsets(tcp, thl):
    """Offsets (in tcp) of the 32-bit edges of SACK option blocks."""
    out, p = [], 20
    while p < thl:
        kind = tcp[p]
        if kind == 0:
            break
        if kind == 1:
            p += 1
            continue
        if p + 1 >= thl:
            break
        ln = tcp[p + 1]
        if ln < 2:
            break
        if kind == 5:
            out += range(p + 2, p + ln - 3, 4)
        p += ln
    return out


def parse_seed(pkts, ports):
    """-> (conns, packets, dropped). packets: (t, wirelen, frame, conn index, from_client)."""
    conns, syns, index, out, dropped = [], [], {}, [], 0
    for t, wirelen, frame in pkts:
        if len(frame) < 14 + 20 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4:
            dropped += 1
            continue
        ihl = (frame[14] & 15) * 4
        if frame[23] != 6 or len(frame) < 14 + ihl + 20:
            dropped += 1
            continue
        tcp = 14 + ihl
        sport, dport = struct.unpack("!HH", frame[tcp:tcp + 4])
        flags = frame[tcp + 13]
        if dport in ports:
            from_client, key = True, (frame[26:30], sport, frame[30:34], dport)
        elif sport in ports:
            from_client, key = False, (frame[30:34], dport, frame[26:30], sport)
        else:
            dropped += 1
            continue
        syn = from_client and flags & SYN and not flags & ACK
        isn = frame[tcp + 4:tcp + 8]
        j = index.get(key)
        if j is None or (syn and isn != syns[j]):
            # A new connection (a new ISN on a reused 4-tuple starts another one).
            if not syn:
                dropped += 1            # no client SYN in the seed: not a whole connection
                continue
            j = index[key] = len(conns)
            conns.append(key)
            syns.append(isn)
        out.append((t, wirelen, frame, j, from_client))
    return conns, out, dropped


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seed")
    ap.add_argument("out")
    ap.add_argument("--ports", default="443,8443")
    ap.add_argument("--handshakes", type=int, default=100000)
    a = ap.parse_args()
    ports = {int(p) for p in a.ports.split(",")}

    order, header, tick, pkts = read_pcap(a.seed)
    conns, seed, dropped = parse_seed(pkts, ports)
    if not conns:
        die("%s: no TCP connection to ports %s with its SYN" % (a.seed, a.ports))
    C = len(conns)
    K = math.ceil(a.handshakes / C)
    if K * C > ADDR_COUNT * ((65536 - PORT_FIRST) // PORT_SLOTS):
        die("too many handshakes for unique 4-tuples")
    t0 = seed[0][0]
    step = seed[-1][0] - t0 + tick                 # seed span + 1 s
    base = (seed[0][0] // tick) * tick             # copy 0 keeps the seed's times

    # Per seed packet, what does not change between copies.
    pre = []
    for t, wirelen, frame, j, from_client in seed:
        ihl = (frame[14] & 15) * 4
        tcp = 14 + ihl
        thl = (frame[tcp + 12] >> 4) * 4
        flags = frame[tcp + 13]
        seq, ack = struct.unpack("!II", frame[tcp + 4:tcp + 12])
        total = struct.unpack("!H", frame[16:18])[0]
        whole = total >= ihl + thl and 14 + total <= len(frame)
        sacks = [(o, struct.unpack("!I", frame[tcp + o:tcp + o + 4])[0])
                 for o in sack_offsets(frame[tcp:tcp + thl], thl)] if thl > 20 else []
        pre.append((t - t0, wirelen, bytearray(frame), j, from_client, ihl, tcp, thl,
                    bool(flags & ACK), seq, ack, sacks, total if whole else 0))

    # Pseudo-random but reproducible ISN offsets (LCG), one pair per connection and copy.
    rnd = 0x2545F491

    out = open(a.out, "wb")
    out.write(header)
    pack_rec = struct.Struct(order + "IIII").pack
    pack_ii = struct.Struct("!II").pack
    pack_h = struct.Struct("!H").pack
    pack_i = struct.Struct("!I").pack
    n = 0
    for k in range(K):
        addrs, cports, offs = [], [], []
        for j, (cip, cport, sip, sport) in enumerate(conns):
            g = k * C + j
            addrs.append(pack_i(ADDR_BASE + ADDR_FIRST + g % ADDR_COUNT))
            cports.append(PORT_FIRST + (g // ADDR_COUNT) * PORT_SLOTS + cport % PORT_SLOTS)
            rnd = (rnd * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
            offs.append((rnd >> 32, rnd & 0xFFFFFFFF))
        shift = base + k * step
        chunks = []
        for (dt, wirelen, frame, j, from_client, ihl, tcp, thl, has_ack, seq, ack, sacks,
             total) in pre:
            f = bytearray(frame)
            oc, os_ = offs[j]
            if from_client:
                f[26:30] = addrs[j]
                f[tcp:tcp + 2] = pack_h(cports[j])
                so, ao = oc, os_
            else:
                f[30:34] = addrs[j]
                f[tcp + 2:tcp + 4] = pack_h(cports[j])
                so, ao = os_, oc
            f[tcp + 4:tcp + 12] = pack_ii((seq + so) & 0xFFFFFFFF,
                                          (ack + ao) & 0xFFFFFFFF if has_ack else ack)
            for o, v in sacks:          # SACK edges acknowledge the other side's bytes
                f[tcp + o:tcp + o + 4] = pack_i((v + ao) & 0xFFFFFFFF)
            f[24:26] = b"\0\0"
            f[24:26] = pack_h(csum_fold(int.from_bytes(f[14:14 + ihl], "big")))
            if total:
                seg = f[tcp:14 + total]
                seg[16:18] = b"\0\0"
                pseudo = f[26:34] + b"\0\x06" + pack_h(len(seg))
                if len(seg) & 1:
                    seg += b"\0"
                f[tcp + 16:tcp + 18] = pack_h(csum_fold(int.from_bytes(pseudo + seg, "big")))
            t = shift + dt
            chunks.append(pack_rec(t // tick, t % tick, len(f), wirelen))
            chunks.append(f)
            n += 1
        out.write(b"".join(chunks))
    out.close()
    print("seed_packets=%d seed_connections=%d dropped_packets=%d copies=%d handshakes=%d "
          "packets=%d" % (len(pkts), C, dropped, K, K * C, n))


if __name__ == "__main__":
    main()
