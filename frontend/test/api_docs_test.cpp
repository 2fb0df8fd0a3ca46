// api_docs_test.cpp: the /docs page and its embedded assets behind the pipeline: media types, cache
// rules (content-hashed names cached for good, the page revalidated), the page's policy, and that
// every asset the page names is served.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cstdio>
#include <regex>
#include <string>

#include "handlers/api_docs_assets.h"
#include "handlers/api_docs_handlers.h"
#include "handlers/request_pipeline.h"
#include "inline_job_runner.h"
#include "pipeline_test_support.h"

namespace inventory {
namespace {

class ApiDocsTest : public ::testing::Test {
 protected:
  ApiDocsTest() { AddApiDocsRoutes(router); }

  HttpResponse Get(const std::string& path) {
    HttpRequest request;
    request.method = "GET";
    request.raw_path = path;
    return testing::HandleNow(pipeline, request);
  }

  static std::string Header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name)
        return value;
    }
    return "";
  }

  Metrics metrics;
  std::atomic<bool> draining{false};
  Router router;
  std::FILE* sink = std::tmpfile();
  JsonLogger logger{LogLevel::Info, sink};
  testing::InlineJobRunner database_work;
  RequestPipeline pipeline{router, metrics, logger, PipelineSettings{1024, 3}, draining, database_work};
};

// The first 16 hex digits of the SHA-256 of text.
std::string ShortSha256(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  char hex[2 * SHA256_DIGEST_LENGTH + 1];
  for (int i = 0; i < SHA256_DIGEST_LENGTH; ++i)
    std::snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  return std::string(hex, 16);
}

TEST_F(ApiDocsTest, ThePageIsHtmlRevalidatedAndRunsOnlyItsOwnScripts) {
  const auto page = Get("/docs");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(Header(page, "Cache-Control"), "no-cache");
  EXPECT_NE(Header(page, "Content-Security-Policy").find("script-src 'self';"), std::string::npos);
  EXPECT_NE(page.body.find("openapi.json"), std::string::npos);
  EXPECT_EQ(page.body.find("@"), std::string::npos) << "a placeholder of index.html.in was left unfilled";
}

TEST_F(ApiDocsTest, EveryAssetThePageNamesIsServedWithItsTypeAndCachedForGood) {
  const std::string page = Get("/docs").body;
  const std::regex reference(R"re((?:href|src)="docs/([^"]+)\.([a-z]+)")re");
  int assets = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), reference); it != std::sregex_iterator();
       ++it) {
    const std::string name = (*it)[1].str() + "." + (*it)[2].str();
    const auto asset = Get("/docs/" + name);
    ASSERT_EQ(asset.status, 200) << name;
    EXPECT_FALSE(asset.body.empty()) << name;
    EXPECT_EQ(Header(asset, "Cache-Control"), "public, max-age=31536000, immutable") << name;
    EXPECT_EQ(Header(asset, "X-Content-Type-Options"), "nosniff") << name;
    const std::string extension = (*it)[2].str();
    const std::string expected_type = extension == "js"    ? "text/javascript; charset=utf-8"
                                      : extension == "css" ? "text/css; charset=utf-8"
                                                           : "image/" + extension;
    EXPECT_EQ(asset.content_type, expected_type) << name;
    ++assets;
  }
  EXPECT_EQ(assets, 5) << "icons (2), stylesheet, Swagger UI bundle and our start-up script";
}

TEST_F(ApiDocsTest, CachedForGoodMeansTheNameChangesWithTheContent) {
  for (const auto& asset : ApiDocsAssets()) {
    if (!asset.immutable)
      continue;
    EXPECT_NE(asset.name.find("." + ShortSha256(asset.body) + "."), std::string_view::npos) << asset.name;
  }
}

TEST_F(ApiDocsTest, UnknownFilesAreNotFound) {
  const auto missing = Get("/docs/swagger-ui-bundle.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.content_type, "application/problem+json");
  EXPECT_EQ(Get("/docs/").status, 404);
  EXPECT_EQ(Get("/docs/swagger-ui-NOTICE.txt").status, 200);
}

}  // namespace
}  // namespace inventory
