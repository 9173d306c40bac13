// state_store.cpp - what every StateStore backend shares.
#include "store/state_store.h"

namespace x400::store {

Result<std::uint64_t> StateStore::next_sequence(std::string_view originator,
                                                std::string_view recipient)
{
    const std::string one[] = {std::string(recipient)};
    auto numbers = next_sequences(originator, one);
    if (!numbers) return numbers.error();
    return numbers->front();
}

}  // namespace x400::store
