// Role planning for both deployments, real and virtual nodes, consumer ranks, and every rejected
// layout.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/layout.hpp"

namespace scalestudy::core {
namespace {

LayoutRequest virtual_request(int world, int per_node, Deployment deployment, int db_nodes,
                              int db_per_node) {
  LayoutRequest r;
  r.world_size = world;
  r.virtual_nodes = true;
  r.ranks_per_node = per_node;
  r.deployment = deployment;
  r.db_nodes = db_nodes;
  r.db_ranks_per_node = db_per_node;
  return r;
}

std::vector<int> roles_of(const Layout& layout, Role role) {
  std::vector<int> ranks;
  for (int r = 0; r < layout.world_size(); ++r) {
    if (layout.ranks[static_cast<std::size_t>(r)].role == role) ranks.push_back(r);
  }
  return ranks;
}

std::vector<int> nodes_of(const Layout& layout) {
  std::vector<int> nodes;
  for (const auto& p : layout.ranks) nodes.push_back(p.node);
  return nodes;
}

std::vector<int> to_vector(std::span<const int> s) { return {s.begin(), s.end()}; }

std::string error_of(const LayoutRequest& request) {
  try {
    plan_layout(request);
  } catch (const ConfigError& error) {
    return error.what();
  }
  return "(no error)";
}

/// Standard deployment on virtual nodes, with `consumers` consumer ranks.
LayoutRequest consumer_request(int world, int per_node, int db_nodes, int db_per_node,
                               int consumers) {
  LayoutRequest r = virtual_request(world, per_node, Deployment::Standard, db_nodes, db_per_node);
  r.consumers = consumers;
  return r;
}

TEST(Layout, StandardVirtualNodesPutDatabaseRanksLast) {
  const Layout l = plan_layout(virtual_request(5, 2, Deployment::Standard, 1, 1));
  EXPECT_TRUE(l.virtual_nodes);
  EXPECT_EQ(l.node_count, 3);
  EXPECT_EQ(roles_of(l, Role::Client), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{4}));
  EXPECT_EQ(nodes_of(l), (std::vector<int>{0, 0, 1, 1, 2}));
  EXPECT_EQ(l.clients_of_shard(0), 4);
  for (int c = 0; c < 4; ++c) EXPECT_EQ(to_vector(l.shards_of_client(c)), (std::vector<int>{0}));
  EXPECT_EQ(l.ranks[3].index, 3);
  EXPECT_EQ(l.ranks[4].index, 0);
}

TEST(Layout, StandardWithSeveralDatabaseNodesAndRanks) {
  const Layout l = plan_layout(virtual_request(8, 2, Deployment::Standard, 2, 2));
  EXPECT_EQ(l.node_count, 4);
  EXPECT_EQ(l.client_ranks, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{4, 5, 6, 7}));
  EXPECT_EQ(nodes_of(l), (std::vector<int>{0, 0, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(to_vector(l.shards_of_client(2)), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(l.clients_of_shard(3), 4);
}

TEST(Layout, ColocatedVirtualNodesKeepClientsOnTheirNode) {
  // ranks_per_node counts clients: nodes of 2 clients + 1 database rank.
  const Layout l = plan_layout(virtual_request(6, 2, Deployment::Colocated, 1, 1));
  EXPECT_EQ(l.node_count, 2);
  EXPECT_EQ(l.client_ranks, (std::vector<int>{0, 1, 3, 4}));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{2, 5}));
  EXPECT_EQ(to_vector(l.shards_of_client(0)), (std::vector<int>{0}));
  EXPECT_EQ(to_vector(l.shards_of_client(1)), (std::vector<int>{0}));
  EXPECT_EQ(to_vector(l.shards_of_client(2)), (std::vector<int>{1}));
  EXPECT_EQ(l.clients_of_shard(0), 2);
  EXPECT_EQ(l.clients_of_shard(1), 2);
}

TEST(Layout, ColocatedWithTwoDatabaseRanksPerNode) {
  const Layout l = plan_layout(virtual_request(8, 2, Deployment::Colocated, 1, 2));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{2, 3, 6, 7}));
  EXPECT_EQ(to_vector(l.shards_of_client(3)), (std::vector<int>{2, 3}));
}

TEST(Layout, ColocatedRealNodesWithRoundRobinPlacement) {
  LayoutRequest r;
  r.world_size = 6;
  r.real_node_of_rank = {0, 1, 0, 1, 0, 1};  // mpirun --map-by node
  r.deployment = Deployment::Colocated;
  const Layout l = plan_layout(r);
  EXPECT_FALSE(l.virtual_nodes);
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{4, 5}));
  EXPECT_EQ(l.client_ranks, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(to_vector(l.shards_of_client(0)), (std::vector<int>{0}));  // rank 0, node 0
  EXPECT_EQ(to_vector(l.shards_of_client(1)), (std::vector<int>{1}));  // rank 1, node 1
}

TEST(Layout, StandardRealNodes) {
  LayoutRequest r;
  r.world_size = 5;
  r.real_node_of_rank = {0, 0, 1, 1, 2};
  const Layout l = plan_layout(r);
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{4}));
  EXPECT_EQ(l.node_count, 3);
}

TEST(Layout, RealNodesAreCheckedAgainstRanksPerNodeAndClientNodes) {
  LayoutRequest r;
  r.world_size = 5;
  r.real_node_of_rank = {0, 0, 1, 1, 2};
  r.ranks_per_node = 2;
  r.client_nodes = 2;
  EXPECT_EQ(plan_layout(r).client_count(), 4);
  r.world_size = 6;
  r.real_node_of_rank = {0, 0, 0, 1, 1, 2};
  r.client_nodes = 0;
  EXPECT_THROW(plan_layout(r), ConfigError);  // node 0 runs 3 clients, not 2
  r.ranks_per_node = 0;
  EXPECT_EQ(plan_layout(r).client_count(), 5);  // taken as it comes
}

TEST(Layout, ExpectedWorldSizeCountsClientsAndDatabaseRanks) {
  LayoutRequest r;
  r.client_nodes = 4;
  r.ranks_per_node = 3;
  r.db_nodes = 2;
  r.db_ranks_per_node = 2;
  EXPECT_EQ(expected_world_size(r), 4 * 3 + 2 * 2);
  r.deployment = Deployment::Colocated;
  EXPECT_EQ(expected_world_size(r), 4 * (3 + 2));
  // The planned layout of that many ranks is what was asked for.
  r.world_size = expected_world_size(r);
  r.virtual_nodes = true;
  r.db_nodes = 1;
  const Layout l = plan_layout(r);
  EXPECT_EQ(l.client_count(), 12);
  EXPECT_EQ(l.shard_count(), 8);
  EXPECT_EQ(l.node_count, 4);
}

TEST(Layout, DescribeListsEveryNode) {
  const Layout l = plan_layout(virtual_request(5, 2, Deployment::Standard, 1, 1));
  const std::string text = l.describe({"h0", "h0", "h1", "h1", "h2"});
  EXPECT_NE(text.find("standard, 5 ranks on 3 virtual nodes: 4 clients, 1 database rank"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("node 1 (h1): clients on ranks 2-3"), std::string::npos) << text;
  EXPECT_NE(text.find("node 2 (h2): database shards 0 on ranks 4"), std::string::npos) << text;
  const std::string cut = l.describe({}, 1);
  EXPECT_NE(cut.find("... 2 more nodes"), std::string::npos) << cut;
}

struct Rejected {
  const char* name;
  LayoutRequest request;
  const char* phrase;
};

TEST(Layout, RejectsImpossibleLayoutsSayingWhatToChange) {
  LayoutRequest one_rank = virtual_request(1, 1, Deployment::Standard, 1, 1);
  LayoutRequest too_many_db_nodes;
  too_many_db_nodes.world_size = 4;
  too_many_db_nodes.real_node_of_rank = {0, 0, 1, 1};
  too_many_db_nodes.db_nodes = 2;
  LayoutRequest wrong_db_ranks;
  wrong_db_ranks.world_size = 4;
  wrong_db_ranks.real_node_of_rank = {0, 0, 1, 1};
  LayoutRequest colocated_db_nodes = virtual_request(4, 1, Deployment::Colocated, 2, 1);
  LayoutRequest colocated_lonely_database;
  colocated_lonely_database.world_size = 3;
  colocated_lonely_database.real_node_of_rank = {0, 0, 1};
  colocated_lonely_database.deployment = Deployment::Colocated;
  LayoutRequest wrong_client_nodes = virtual_request(5, 2, Deployment::Standard, 1, 1);
  wrong_client_nodes.client_nodes = 3;
  const std::vector<Rejected> cases = {
      {"one rank", one_rank, "at least 2 ranks"},
      {"no client left", virtual_request(2, 2, Deployment::Standard, 1, 2),
       "leaves no client; launch at least 3 ranks"},
      {"db_nodes >= nodes", too_many_db_nodes, "no node is left for clients; lower db_nodes"},
      {"uneven virtual nodes", virtual_request(6, 2, Deployment::Standard, 1, 1),
       "5 client ranks (6 ranks - 1 database ranks) do not fill whole nodes; launch 7 ranks"},
      {"database node of the wrong size", wrong_db_ranks, "runs 2 ranks but db_ranks_per_node=1"},
      {"colocated with db_nodes", colocated_db_nodes, "remove db_nodes"},
      {"colocated node without a client", colocated_lonely_database, "plus at least one client"},
      {"colocated uneven", virtual_request(5, 1, Deployment::Colocated, 1, 1),
       "do not fill whole nodes of 2; launch a multiple of 2 ranks (e.g. 6)"},
      {"virtual nodes without a size", virtual_request(4, 0, Deployment::Standard, 1, 1),
       "virtual nodes need ranks_per_node"},
      {"client nodes differ", wrong_client_nodes,
       "the job has 2 client nodes but client_nodes=3; launch 7 ranks"},
      {"zero database ranks", virtual_request(4, 2, Deployment::Standard, 1, 0),
       "db_ranks_per_node must be at least 1"},
      {"zero database nodes", virtual_request(4, 2, Deployment::Standard, 0, 1),
       "db_nodes must be at least 1"},
  };
  for (const auto& c : cases) {
    const std::string message = error_of(c.request);
    EXPECT_NE(message.find(c.phrase), std::string::npos) << c.name << ": " << message;
  }
}

TEST(ConsumerLayout, ConsumersAreTheLastRanksOnANodeOfTheirOwn) {
  // 4 clients on 2 nodes, 2 database nodes of 1, 2 consumers.
  const Layout l = plan_layout(consumer_request(8, 2, 2, 1, 2));
  EXPECT_EQ(l.client_ranks, (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{4, 5}));
  EXPECT_EQ(l.consumer_ranks, (std::vector<int>{6, 7}));
  EXPECT_EQ(l.node_count, 5);
  EXPECT_EQ(l.ranks[6].node, 4);
  EXPECT_EQ(l.ranks[7].node, 4);
  EXPECT_EQ(l.ranks[7].role, Role::Consumer);
  EXPECT_EQ(l.ranks[7].index, 1);
  // Consumers reach every shard, and every shard waits for them too.
  const auto shards = l.shards_of_rank(6);
  EXPECT_EQ(std::vector<int>(shards.begin(), shards.end()), (std::vector<int>{0, 1}));
  EXPECT_TRUE(l.shards_of_rank(4).empty());
  EXPECT_EQ(l.clients_of_shard(1), 6);
  EXPECT_EQ(l.users_of_shard(0), (std::vector<int>{0, 1, 2, 3, 6, 7}));
  EXPECT_STREQ(role_name(Role::Consumer), "consumer");
  const std::string map = l.describe({});
  EXPECT_NE(map.find("4 clients, 2 database ranks, 2 consumers"), std::string::npos) << map;
  EXPECT_NE(map.find("node 4: consumers on ranks 6-7"), std::string::npos) << map;
}

TEST(ConsumerLayout, RealNodesPutConsumersAloneOnTheLastNode) {
  LayoutRequest r;
  r.world_size = 5;
  r.real_node_of_rank = {0, 0, 1, 2, 3};
  r.consumers = 1;
  const Layout l = plan_layout(r);
  EXPECT_EQ(l.client_ranks, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(l.shard_ranks, (std::vector<int>{3}));
  EXPECT_EQ(l.consumer_ranks, (std::vector<int>{4}));
  r.real_node_of_rank = {0, 0, 1, 2, 2};  // the consumer shares the database's node
  EXPECT_NE(error_of(r).find("must be alone on the last node"), std::string::npos) << error_of(r);
}

TEST(ConsumerLayout, ImpossibleConsumerLayoutsSayWhatToChange) {
  EXPECT_NE(error_of(consumer_request(3, 1, 1, 1, 2)).find("leaves no client"), std::string::npos);
  LayoutRequest colocated = consumer_request(4, 1, 1, 1, 1);
  colocated.deployment = Deployment::Colocated;
  EXPECT_NE(error_of(colocated).find("consumer ranks need the standard deployment"),
            std::string::npos);
  EXPECT_NE(error_of(consumer_request(4, 1, 1, 1, -1)).find("consumers must be 0 or more"),
            std::string::npos);
}

TEST(ConsumerLayout, ExpectedWorldSizeCountsConsumers) {
  LayoutRequest r = consumer_request(0, 32, 16, 2, 1);
  r.client_nodes = 128;
  EXPECT_EQ(expected_world_size(r), 128 * 32 + 16 * 2 + 1);
}

}  // namespace
}  // namespace scalestudy::core
