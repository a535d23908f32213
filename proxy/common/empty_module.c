/* Compiled into a module library whose folder holds no source yet. */
typedef int postern_empty_module;
