// Request and reply frames: round trips and every malformed frame a database rank must refuse.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/protocol.hpp"

namespace scalestudy::store::protocol {
namespace {

std::vector<std::byte> bytes_of(const std::string& text) {
  std::vector<std::byte> out(text.size());
  std::memcpy(out.data(), text.data(), text.size());
  return out;
}

TEST(Protocol, RequestRoundTripKeepsEveryField) {
  std::vector<std::byte> frame(kMaxFrameBytes);
  const std::uint64_t dims[] = {2, 3, 4};
  const auto payload = bytes_of("0123456789abcdef");
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::PutTensor);
  header.dtype = static_cast<std::uint8_t>(DType::Int16);
  header.channel = 7;
  header.request_id = 42;
  header.value = 99;
  const std::size_t size = encode_request(frame, header, dims, "my{tag}key", payload);
  EXPECT_EQ(size, sizeof(RequestHeader) + 3 * 8 + 10 + 16);

  const Request r = decode_request(std::span<const std::byte>(frame.data(), size));
  EXPECT_EQ(r.op(), Op::PutTensor);
  EXPECT_EQ(r.header.dtype, static_cast<std::uint8_t>(DType::Int16));
  EXPECT_EQ(r.header.channel, 7);
  EXPECT_EQ(r.header.request_id, 42U);
  EXPECT_EQ(r.header.value, 99U);
  EXPECT_EQ(r.key, "my{tag}key");
  ASSERT_EQ(r.dims().size(), 3U);
  EXPECT_EQ(r.dims()[0], 2U);
  EXPECT_EQ(r.dims()[2], 4U);
  EXPECT_TRUE(r.has_inline_payload());
  EXPECT_EQ(r.header.payload_bytes, 16U);
  ASSERT_EQ(r.inline_payload.size(), 16U);
  EXPECT_EQ(std::memcmp(r.inline_payload.data(), payload.data(), 16), 0);
}

TEST(Protocol, RequestWithoutInlinePayloadAnnouncesItsSize) {
  std::vector<std::byte> frame(kMaxFrameBytes);
  RequestHeader header;
  header.op = static_cast<std::uint8_t>(Op::PutTensor);
  header.payload_bytes = 1 << 20;
  const std::uint64_t dims[] = {1 << 18};
  const std::size_t size = encode_request(frame, header, dims, "k");
  const Request r = decode_request(std::span<const std::byte>(frame.data(), size));
  EXPECT_FALSE(r.has_inline_payload());
  EXPECT_EQ(r.header.payload_bytes, 1U << 20);
  EXPECT_TRUE(r.inline_payload.empty());
}

TEST(Protocol, ReplyRoundTripCarriesTextAndPayload) {
  std::vector<std::byte> frame(kMaxFrameBytes);
  ReplyHeader header;
  header.status = static_cast<std::uint8_t>(Status::Mismatch);
  header.request_id = 5;
  const std::uint64_t dims[] = {10};
  const auto payload = bytes_of("xyz");
  const std::size_t size = encode_reply(frame, header, dims, "wrong shape", payload);
  const Reply r = decode_reply(std::span<const std::byte>(frame.data(), size));
  EXPECT_EQ(r.status(), Status::Mismatch);
  EXPECT_EQ(r.text, "wrong shape");
  EXPECT_EQ(r.dims()[0], 10U);
  ASSERT_EQ(r.inline_payload.size(), 3U);
  EXPECT_EQ(r.header.request_id, 5U);
}

TEST(Protocol, ReplyTextIsCutAtTheLimit) {
  std::vector<std::byte> frame(kMaxFrameBytes);
  const std::string long_text(kMaxTextBytes + 100, 'e');
  const std::size_t size = encode_reply(frame, ReplyHeader{}, {}, long_text);
  EXPECT_EQ(decode_reply(std::span<const std::byte>(frame.data(), size)).text.size(),
            kMaxTextBytes);
}

TEST(Protocol, EncodingRefusesWhatCannotBeSent) {
  std::vector<std::byte> frame(kMaxFrameBytes);
  const std::string long_key(kMaxKeyBytes + 1, 'k');
  EXPECT_THROW(encode_request(frame, RequestHeader{}, {}, long_key), StoreError);
  const std::vector<std::uint64_t> nine_dims(9, 1);
  EXPECT_THROW(encode_request(frame, RequestHeader{}, nine_dims, "k"), StoreError);
  std::vector<std::byte> small(sizeof(RequestHeader) + 2);
  EXPECT_THROW(encode_request(small, RequestHeader{}, {}, "key"), StoreError);
  const std::vector<std::byte> too_big(kMaxInlineBytes + 1);
  EXPECT_THROW(encode_request(frame, RequestHeader{}, {}, "k", too_big), StoreError);
}

class MalformedRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    frame_.resize(kMaxFrameBytes);
    RequestHeader header;
    header.op = static_cast<std::uint8_t>(Op::TensorExists);
    const std::uint64_t dims[] = {4};
    size_ = encode_request(frame_, header, dims, "key");
  }
  RequestHeader& header() { return *reinterpret_cast<RequestHeader*>(frame_.data()); }
  void expect_refused(std::size_t size, const std::string& phrase) {
    try {
      decode_request(std::span<const std::byte>(frame_.data(), size));
      FAIL() << "decoded a malformed frame (expected '" << phrase << "')";
    } catch (const StoreError& error) {
      EXPECT_NE(std::string(error.what()).find(phrase), std::string::npos) << error.what();
    }
  }
  std::vector<std::byte> frame_;
  std::size_t size_ = 0;
};

TEST_F(MalformedRequest, ShorterThanAHeader) {
  expect_refused(10, "shorter than a request header");
}

TEST_F(MalformedRequest, BadMagic) {
  header().magic = 0xDEADBEEF;
  expect_refused(size_, "bad magic");
}

TEST_F(MalformedRequest, UnknownOperation) {
  header().op = 200;
  expect_refused(size_, "unknown operation code 200");
}

TEST_F(MalformedRequest, TooManyDimensions) {
  header().ndim = 9;
  expect_refused(size_, "9 dimensions");
}

TEST_F(MalformedRequest, SizeDisagreesWithHeader) {
  expect_refused(size_ - 1, "header describes");
  header().key_bytes = 100;
  expect_refused(size_, "header describes");
}

TEST_F(MalformedRequest, InlinePayloadLargerThanAllowed) {
  header().flags = kInlinePayload;
  header().payload_bytes = kMaxInlineBytes + 1;
  expect_refused(size_, "inline payload");
}

}  // namespace
}  // namespace scalestudy::store::protocol
