// extension_version_test.cpp: the versions /ready accepts.
#include "domain/extension_version.h"

#include <gtest/gtest.h>

namespace inventory {
namespace {

TEST(ExtensionVersion, TheBuildsOwnVersionSatisfies) { EXPECT_TRUE(ExtensionVersionSatisfies("1.1", "1.1")); }

TEST(ExtensionVersion, ALaterVersionOfTheSameMajorSatisfies) {
  EXPECT_TRUE(ExtensionVersionSatisfies("1.2", "1.1"));
  EXPECT_TRUE(ExtensionVersionSatisfies("1.10", "1.9"));
  EXPECT_TRUE(ExtensionVersionSatisfies("1.1.1", "1.1"));
}

TEST(ExtensionVersion, AnOlderVersionDoesNot) {
  EXPECT_FALSE(ExtensionVersionSatisfies("1.0", "1.1"));
  EXPECT_FALSE(ExtensionVersionSatisfies("1.9", "1.10"));
}

TEST(ExtensionVersion, AnotherMajorDoesNot) {
  EXPECT_FALSE(ExtensionVersionSatisfies("2.0", "1.1"));
  EXPECT_FALSE(ExtensionVersionSatisfies("0.9", "1.1"));
}

TEST(ExtensionVersion, MalformedVersionsNeverSatisfy) {
  EXPECT_FALSE(ExtensionVersionSatisfies("", "1.1"));
  EXPECT_FALSE(ExtensionVersionSatisfies("1.1-beta", "1.1"));
  EXPECT_FALSE(ExtensionVersionSatisfies("1..1", "1.1"));
  EXPECT_FALSE(ExtensionVersionSatisfies("1.1.", "1.1"));
  EXPECT_FALSE(ExtensionVersionSatisfies("1.1", "x"));
}

}  // namespace
}  // namespace inventory
