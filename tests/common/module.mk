# Unit tests of the shared code in common/.
TEST_OBJS_common_test_jsonw := $(B)/obj/common/jsonw.o
$(eval $(call test_binary,common,test_jsonw))
