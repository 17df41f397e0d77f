"""A stand-in for ClamAV's daemon that speaks its INSTREAM protocol, for the tests:
no signature database can be fetched here, so "infected" means "contains the EICAR
test string", as it does for a real clamd.

It checks what D3 sends as clamd would (the ``zINSTREAM\\0`` command, 4-byte
big-endian chunk lengths, a zero-length terminator) and answers ``stream: OK\\0``,
``stream: Eicar-Test-Signature FOUND\\0``, or what the test asks for (an ERROR line).
"""

import socket
import struct
import threading

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
THREAT = "Eicar-Test-Signature"


class ClamdStandIn:
    def __init__(self, family, address):
        self.family = family
        self.address = address
        self.streams = []  # the bytes of each file received, in order
        self.chunks = []  # how many chunks each file came in
        self.errors = []  # protocol violations seen
        self.reply = None  # forced reply (bytes), else OK / FOUND
        self._server = socket.socket(family, socket.SOCK_STREAM)
        if family == socket.AF_INET:
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(address)
        self._server.listen(8)
        self._server.settimeout(0.2)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self):
        if self.family == socket.AF_UNIX:
            return f"unix://{self.address}"
        host, port = self._server.getsockname()
        return f"tcp://{host}:{port}"

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _serve(self):
        while not self._stopping.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with connection:
                connection.settimeout(5)
                try:
                    self._session(connection)
                except Exception as exc:  # recorded for the test to see
                    self.errors.append(repr(exc))

    def _read(self, connection, size):
        data = b""
        while len(data) < size:
            more = connection.recv(size - len(data))
            if not more:
                raise ConnectionError("connexion fermée au milieu d'un bloc")
            data += more
        return data

    def _session(self, connection):
        command = self._read(connection, len(b"zINSTREAM\0"))
        if command != b"zINSTREAM\0":
            self.errors.append(f"commande inattendue {command!r}")
            connection.sendall(b"UNKNOWN COMMAND\0")
            return
        received, count = b"", 0
        while True:
            (length,) = struct.unpack(">I", self._read(connection, 4))
            if length == 0:
                break
            received += self._read(connection, length)
            count += 1
        self.streams.append(received)
        self.chunks.append(count)
        if self.reply is not None:
            connection.sendall(self.reply)
        elif EICAR in received:
            connection.sendall(f"stream: {THREAT} FOUND\0".encode())
        else:
            connection.sendall(b"stream: OK\0")
