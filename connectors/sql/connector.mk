# The sql connector: incremental capture from SQLite, PostgreSQL, MariaDB/MySQL and ODBC.
CONNECTOR_NAMES += sql
CONNECTOR_SRCS += connectors/sql/sql.c connectors/sql/be_sqlite.c connectors/sql/be_pg.c \
	connectors/sql/be_mysql.c connectors/sql/be_odbc.c
SQL_PKGS := sqlite3 libpq libmariadb odbc
CONNECTOR_LIBS += $(shell pkg-config --libs $(SQL_PKGS) 2>/dev/null)
# libpq and libmariadb keep their headers in their own folders; CFLAGS_ALL is already set
# when connector.mk fragments are included, so their include paths are appended here.
CFLAGS_ALL += $(shell pkg-config --cflags $(SQL_PKGS) 2>/dev/null)
# build: client libraries; tests: the servers, the ODBC drivers and the sqlite3 shell
DEB_EXTRA += libsqlite3-dev libpq-dev libmariadb-dev unixodbc-dev postgresql mariadb-server \
	odbc-postgresql libsqliteodbc sqlite3
