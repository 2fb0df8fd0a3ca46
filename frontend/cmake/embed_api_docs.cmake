# embed_api_docs.cmake: writes the source that compiles the /docs page into inventory-svc. Run at
# build time (cmake -P), after npm has installed swagger-ui-dist, with:
#   PACKAGE_DIR  node_modules/swagger-ui-dist      PAGE_DIR  frontend/api-docs (page and script)
#   TEMPLATE     src/handlers/api_docs_assets.cpp.in
#   WORK_DIR     where the filled-in page is written   OUTPUT  the generated .cpp
# Assets that the page loads get the first 16 hex digits of their SHA-256 in their name, so the
# service can let browsers cache them for good; the page and the licence texts keep fixed names.
cmake_minimum_required(VERSION 3.18)

foreach(variable PACKAGE_DIR PAGE_DIR TEMPLATE WORK_DIR OUTPUT)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "embed_api_docs.cmake: ${variable} is not set")
  endif()
endforeach()

set(embedded_files "")
set(asset_table "")
set(asset_count 0)

# embed(FILE NAME CONTENT_TYPE IMMUTABLE) adds one file to the generated source.
function(embed file name content_type immutable)
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "embed_api_docs.cmake: ${file} is missing (did npm ci install swagger-ui-dist?)")
  endif()
  if(file MATCHES "[\"\\\\\n]")
    message(FATAL_ERROR "embed_api_docs.cmake: the assembler cannot include a path with a quote or backslash: ${file}")
  endif()
  set(symbol "inventory_api_docs_file_${asset_count}")
  string(APPEND embedded_files "EMBED_FILE(${symbol}, \"${file}\");\n")
  string(APPEND asset_table
         "      {\"${name}\", \"${content_type}\", {${symbol}, static_cast<std::size_t>(${symbol}_end - ${symbol})}, ${immutable}},\n")
  math(EXPR next "${asset_count} + 1")
  set(asset_count ${next} PARENT_SCOPE)
  set(embedded_files "${embedded_files}" PARENT_SCOPE)
  set(asset_table "${asset_table}" PARENT_SCOPE)
endfunction()

# hashed_name(FILE OUT) sets OUT to the file's name with a content hash before its extension.
function(hashed_name file out)
  file(SHA256 "${file}" digest)
  string(SUBSTRING "${digest}" 0 16 digest)
  get_filename_component(name "${file}" NAME)
  string(REGEX REPLACE "^(.*)\\.([a-z0-9]+)$" "\\1.${digest}.\\2" name "${name}")
  set(${out} "${name}" PARENT_SCOPE)
endfunction()

set(javascript "text/javascript; charset=utf-8")
set(stylesheet "text/css; charset=utf-8")
set(text "text/plain; charset=utf-8")

hashed_name("${PACKAGE_DIR}/swagger-ui-bundle.js" SWAGGER_UI_BUNDLE_JS)
hashed_name("${PACKAGE_DIR}/swagger-ui.css" SWAGGER_UI_CSS)
hashed_name("${PACKAGE_DIR}/favicon-32x32.png" FAVICON_32)
hashed_name("${PACKAGE_DIR}/favicon-16x16.png" FAVICON_16)
hashed_name("${PAGE_DIR}/api-docs.js" API_DOCS_JS)
file(MAKE_DIRECTORY "${WORK_DIR}")
configure_file("${PAGE_DIR}/index.html.in" "${WORK_DIR}/index.html" @ONLY)

embed("${WORK_DIR}/index.html" "" "text/html; charset=utf-8" false)
embed("${PACKAGE_DIR}/swagger-ui-bundle.js" "${SWAGGER_UI_BUNDLE_JS}" "${javascript}" true)
embed("${PACKAGE_DIR}/swagger-ui.css" "${SWAGGER_UI_CSS}" "${stylesheet}" true)
embed("${PACKAGE_DIR}/favicon-32x32.png" "${FAVICON_32}" "image/png" true)
embed("${PACKAGE_DIR}/favicon-16x16.png" "${FAVICON_16}" "image/png" true)
embed("${PAGE_DIR}/api-docs.js" "${API_DOCS_JS}" "${javascript}" true)
# Swagger UI is Apache-2.0: its licence and notice travel with the binary that carries it.
embed("${PACKAGE_DIR}/LICENSE" "swagger-ui-LICENSE.txt" "${text}" false)
embed("${PACKAGE_DIR}/NOTICE" "swagger-ui-NOTICE.txt" "${text}" false)
embed("${PACKAGE_DIR}/swagger-ui-bundle.js.LICENSE.txt" "swagger-ui-bundle.js.LICENSE.txt" "${text}" false)

set(EMBEDDED_FILES "${embedded_files}")
set(ASSET_TABLE "${asset_table}")
configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY)
# configure_file keeps the old time stamp of an unchanged file; the build needs to see it is done.
file(TOUCH "${OUTPUT}")
