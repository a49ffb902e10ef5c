/**
 * Merged into @jupyter/builder's configuration. Module ids by order of use instead of
 * by a hash of their names: the builder names its container entry by absolute paths,
 * so hashed ids (and with them the files' content hashes) would depend on the folder
 * the build ran in, and `.ci/run` could not compare its build with the committed one.
 */
module.exports = {
  optimization: { moduleIds: 'natural' }
};
