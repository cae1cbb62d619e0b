# Writes OUT, a C++ file holding every migrations/NNN_name.sql as a string, in version
# order, so spotd carries its schema with it. Run at build time (see CMakeLists.txt).
# Inputs: -DMIGRATIONS_DIR=... -DOUT=...
file(GLOB files RELATIVE ${MIGRATIONS_DIR} ${MIGRATIONS_DIR}/*.sql)
list(SORT files)
set(body "")
foreach(f IN LISTS files)
  if(NOT f MATCHES "^([0-9][0-9][0-9])_([a-z0-9_]+)\\.sql$")
    message(FATAL_ERROR "migration ${f}: the name must be NNN_name.sql")
  endif()
  math(EXPR version "${CMAKE_MATCH_1}")
  set(name "${CMAKE_MATCH_2}")
  file(READ ${MIGRATIONS_DIR}/${f} sql)
  if(sql MATCHES "\\)spotsql\"")
    message(FATAL_ERROR "migration ${f} contains the raw-string delimiter")
  endif()
  string(APPEND body "    {${version}, \"${name}\", R\"spotsql(${sql})spotsql\"},\n")
endforeach()
file(WRITE ${OUT}.tmp "// Generated from migrations/*.sql by cmake/embed_migrations.cmake. Do not edit.
#include \"spot/store/migrations.h\"

namespace spot {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
${body}  };
  return all;
}

}  // namespace spot
")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
