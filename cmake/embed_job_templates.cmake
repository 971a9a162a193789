# Writes OUTPUT: a C++ file holding each job script template of jobs/ (TEMPLATES, the files)
# as a string, so that `scalestudy jobs` has them wherever it is installed. Run at build time,
# again whenever a template changes.
set(text "// Generated from jobs/*.sh by cmake/embed_job_templates.cmake; edit those files.\n")
string(APPEND text "#include \"launch/job_templates.hpp\"\n\nnamespace scalestudy::launch {\n\n")
string(APPEND text "std::string_view builtin_job_template(std::string_view name) {\n")
foreach(file IN LISTS TEMPLATES)
  get_filename_component(name "${file}" NAME_WE)
  file(READ "${file}" body)
  string(APPEND text "  if (name == \"${name}\") {\n    return R\"job_template(${body})job_template\";\n  }\n")
endforeach()
string(APPEND text "  return {};\n}\n\n}  // namespace scalestudy::launch\n")
file(WRITE "${OUTPUT}.new" "${text}")
file(COPY_FILE "${OUTPUT}.new" "${OUTPUT}" ONLY_IF_DIFFERENT)
