"""A throwaway Debian PostgreSQL with password authentication and TLS, for the tests
that need what the embedded server does not give: a CA-signed certificate, roles
with passwords over TCP, and a server the test can stop and start again.

The same class makes a primary that streams its WAL and, from it, a hot standby
(`tests/pgreplica.py`).

Debian's binaries (package `postgresql`) refuse to run as root, so as root the
cluster belongs to the `postgres` user the package creates. Everything lives
in one temporary directory: data, socket, certificates, log.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from services import free_port


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(found[-1]).parent if found else None


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed CA: (certificate, key)."""
    crt, key = folder / f"{name}.crt", folder / f"{name}.key"
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", key.name, "-out", crt.name, "-days", "2",
             "-subj", f"/CN=Pulse test {name}",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    return crt, key


def make_server_cert(folder: Path, ca: tuple[Path, Path]) -> tuple[Path, Path]:
    """A server certificate for 127.0.0.1 and localhost, signed by `ca`."""
    (folder / "server.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=folder)
    _openssl("x509", "-req", "-in", "server.csr", "-CA", ca[0].name, "-CAkey", ca[1].name,
             "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "server.ext",
             cwd=folder)
    return folder / "server.crt", folder / "server.key"


def _binaries() -> Path:
    """The server binaries' folder; skips the test (fails it in CI) when they are absent."""
    bindir = _bin_dir()
    if bindir is None or shutil.which("openssl") is None:
        if os.environ.get("CI"):
            raise RuntimeError("PostgreSQL server binaries or openssl missing in CI: "
                               "scripts/bootstrap --test installs them")
        pytest.skip("Debian's PostgreSQL (package postgresql) or openssl is not installed")
    return bindir


class DebianPostgres:
    """initdb + pg_ctl on 127.0.0.1:<free port>; TLS on, TCP logins need a password."""

    def __init__(self, tls_only: bool = False, replication: bool = False,
                 standby_of: DebianPostgres | None = None) -> None:
        """`replication`: a primary that streams its WAL (pg_basebackup and standbys connect
        over its Unix socket, trusted); `standby_of`: a hot standby of that primary, made by
        `pg_basebackup -R`, sharing its certificates and superuser password."""
        self.bin = _binaries()
        self.tls_only = tls_only
        self.root = Path(tempfile.mkdtemp(prefix="pulse-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._uid: int | None = None
        owner = pwd.getpwnam("postgres") if os.geteuid() == 0 else None
        if owner is not None:
            self._uid = owner.pw_uid
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        if standby_of is not None:
            self.certs, self.superpass = standby_of.certs, standby_of.superpass
            self.ca, self.wrong_ca = standby_of.ca, standby_of.wrong_ca
            self.server_cert = standby_of.server_cert
            try:
                self._basebackup(standby_of)
            except BaseException:  # no fixture will clean up what was never returned
                shutil.rmtree(self.root, ignore_errors=True)
                raise
            return
        self.certs = self.root / "certs"
        self.certs.mkdir()
        self.superpass = secrets.token_urlsafe(16)
        self.ca = make_ca(self.certs, "ca")
        self.wrong_ca = make_ca(self.certs, "other-ca")
        self.server_cert = make_server_cert(self.certs, self.ca)
        if owner is not None:
            for path in [self.root, *self.root.rglob("*")]:
                os.chown(path, owner.pw_uid, owner.pw_gid)
        os.chmod(self.server_cert[1], 0o600)
        self._initdb(replication)

    # --- running things as the cluster's owner ----------------------------------------------

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [str(a) for a in args]
        if self._uid is not None:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, cwd=self.root)

    def _initdb(self, replication: bool) -> None:
        pwfile = self.root / "pw"
        pwfile.write_text(self.superpass + "\n")
        if self._uid is not None:
            os.chown(pwfile, self._uid, -1)
        self._run(self.bin / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust",
                  "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                  "--locale=C", "-N")
        pwfile.unlink()
        conf = self.data / "postgresql.conf"
        with conf.open("a") as f:
            f.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\n"
                f"unix_socket_directories = '{self.root}'\n"
                f"ssl = on\nssl_cert_file = '{self.server_cert[0]}'\n"
                f"ssl_key_file = '{self.server_cert[1]}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                "max_connections = 60\nshared_buffers = 64MB\n"
            )
            if replication:
                # commits as a production primary makes them (flushed, then streamed), so
                # the replication lag a test measures is not the WAL writer's 200 ms delay
                f.write("wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                        "wal_keep_size = '64MB'\nsynchronous_commit = on\n")
        hba = ["local all all trust", "hostssl all all 127.0.0.1/32 scram-sha-256"]
        if replication:
            hba.insert(0, "local replication all trust")
        hba.append("hostnossl all all 127.0.0.1/32 " + (
            "reject" if self.tls_only else "scram-sha-256"))
        (self.data / "pg_hba.conf").write_text("\n".join(hba) + "\n")

    def _basebackup(self, primary: DebianPostgres) -> None:
        """A copy of the running `primary` that starts as its hot standby: `-R` writes
        `standby.signal` and the primary_conninfo (the primary's socket); the copied
        configuration gets this server's own port and socket folder."""
        self._run(self.bin / "pg_basebackup", "-h", primary.root, "-p", str(primary.port),
                  "-U", "postgres", "-D", self.data, "-R", "-X", "stream", "-c", "fast", "-N")
        with (self.data / "postgresql.conf").open("a") as f:
            f.write(f"\nport = {self.port}\nunix_socket_directories = '{self.root}'\n"
                    "hot_standby = on\n")

    def start(self) -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "server.log",
                  "-w", "-t", "30", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "30", "stop",
                  check=False)

    def running(self) -> bool:
        return self._run(self.bin / "pg_ctl", "-D", self.data, "status", check=False
                         ).returncode == 0

    def cleanup(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # --- URLs -------------------------------------------------------------------------

    def admin_url(self, database: str = "postgres") -> str:
        """Superuser over the Unix socket (trust): for setting things up."""
        return (f"postgresql+psycopg2://postgres@/{database}"
                f"?host={quote(str(self.root))}&port={self.port}")

    def url(self, user: str = "postgres", password: str | None = None,
            database: str = "postgres", sslmode: str | None = "require",
            ca: Path | None = None) -> str:
        """A TCP URL with password, as an app would get it in DATABASE_URL."""
        password = self.superpass if password is None and user == "postgres" else password
        auth = quote(user) + (f":{quote(password, safe='')}" if password else "")
        query = []
        if sslmode:
            query.append(f"sslmode={sslmode}")
        if ca:
            query.append(f"sslrootcert={quote(str(ca))}")
        return (f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"
                + ("?" + "&".join(query) if query else ""))

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._run(self.bin / "pg_isready", "-h", "127.0.0.1", "-p", str(self.port),
                         check=False).returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("PostgreSQL did not become ready")


def running_postgres(tls_only: bool = False) -> Iterator[DebianPostgres]:
    """For a fixture: a started server, removed afterwards."""
    pg = DebianPostgres(tls_only=tls_only)
    pg.start()
    try:
        yield pg
    finally:
        pg.cleanup()
