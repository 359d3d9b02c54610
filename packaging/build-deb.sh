#!/bin/sh
# Builds the Debian package postgresql-15-pulsora_VERSION_ARCH.deb into BUILD
# from what `make` built (`make deb` runs it after building):
#   packaging/build-deb.sh BUILD
# BUILD holds pulsorad and pulsora-cli; pulsora.so is in the source tree.
# The version is the top entry of packaging/debian/changelog; its upstream
# part must be what `pulsorad --version` prints (PULSORA_VERSION in
# src/server/main.c), so the package never claims another version than the
# binaries in it.  Dependencies come from dpkg-shlibdeps, the control file
# from dpkg-gencontrol; the staging tree is BUILD/deb/postgresql-15-pulsora.
# Prints the path of the package as its last line.
set -eu
umask 022

BUILD=$(cd "${1:?usage: packaging/build-deb.sh BUILD}" && pwd)
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PKG=postgresql-15-pulsora
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
WORK=$BUILD/deb
STAGE=$WORK/$PKG
DOC=$STAGE/usr/share/doc/$PKG

cd "$ROOT/packaging"
VERSION=$(dpkg-parsechangelog -l debian/changelog -S Version)
BINARY_VERSION=$("$BUILD/pulsorad" --version | sed 's/^pulsorad //')
if [ "${VERSION%-*}" != "$BINARY_VERSION" ]; then
	echo "build-deb: packaging/debian/changelog is at $VERSION but pulsorad is $BINARY_VERSION;" \
		"add a changelog entry for $BINARY_VERSION-1" >&2
	exit 1
fi
# Every timestamp in the package is the changelog entry's (gzip -n leaves
# none in the compressed files), not the time of the build.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l debian/changelog -S Timestamp)
export SOURCE_DATE_EPOCH

rm -rf "$WORK"
mkdir -p "$STAGE/DEBIAN"

# The extension, where PGXS's `make install` (and so `make ext-install`)
# puts it: pg_config's pkglibdir and sharedir/extension.
make -s -C "$ROOT" PULSORA_PGXS=1 with_llvm=no PG_CONFIG="$PG_CONFIG" DESTDIR="$STAGE" install

# pulsorad must be in PostgreSQL's bindir: the extension starts it from there
# (src/fdw/owner.c).  pulsora-cli goes with it; /usr/bin links to both.
install -D -m 0755 "$BUILD/pulsorad" "$STAGE$BINDIR/pulsorad"
install -m 0755 "$BUILD/pulsora-cli" "$STAGE$BINDIR/pulsora-cli"
mkdir -p "$STAGE/usr/bin"
for b in pulsorad pulsora-cli; do
	ln -s "$(realpath -m --relative-to=/usr/bin "$BINDIR/$b")" "$STAGE/usr/bin/$b"
done
# Strip as dh_strip does (the build keeps debug information for the tests)
# and give the module the mode dh_fixperms gives shared objects.  The
# binaries keep the project's compiler flags (Makefile), not dpkg-buildflags',
# which lintian notes as the info tags hardening-no-bindnow and
# hardening-no-fortify-functions.
SO=$STAGE$("$PG_CONFIG" --pkglibdir)/pulsora.so
strip --remove-section=.comment --remove-section=.note "$STAGE$BINDIR/pulsorad" "$STAGE$BINDIR/pulsora-cli"
strip --remove-section=.comment --remove-section=.note --strip-unneeded "$SO"
chmod 0644 "$SO"

install -D -m 0644 pulsorad@.service "$STAGE/lib/systemd/system/pulsorad@.service"
mkdir -p "$STAGE/usr/share/man/man1" "$DOC" "$STAGE/usr/share/lintian/overrides"
for m in pulsorad.1 pulsora-cli.1; do
	gzip -9n <"$m" >"$STAGE/usr/share/man/man1/$m.gz"
done
install -m 0644 debian/copyright "$DOC/copyright"
gzip -9n <debian/changelog >"$DOC/changelog.Debian.gz"
install -m 0644 lintian-overrides "$STAGE/usr/share/lintian/overrides/$PKG"

for s in postinst prerm postrm; do
	install -m 0755 "debian/$s" "$STAGE/DEBIAN/$s"
done
# Both read debian/control from the current directory, packaging/.
dpkg-shlibdeps -T"$WORK/substvars" "$STAGE$BINDIR/pulsorad" "$STAGE$BINDIR/pulsora-cli" "$SO"
dpkg-gencontrol -p"$PKG" -T"$WORK/substvars" -f"$WORK/files" -P"$STAGE"
(cd "$STAGE" && find . -type f ! -path './DEBIAN/*' -printf '%P\n' | LC_ALL=C sort |
	xargs md5sum >DEBIAN/md5sums)
chmod 0644 "$STAGE/DEBIAN/control" "$STAGE/DEBIAN/md5sums"

find "$STAGE" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
DEB=$BUILD/${PKG}_${VERSION}_$(dpkg --print-architecture).deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
