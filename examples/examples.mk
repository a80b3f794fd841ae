# examples/examples.mk: the story programs under examples/, built into
# build/examples. `make demo` runs story 1 under heapspy.

EX := $(BUILD)/examples
EXFLAGS := -O1 -g -Wall -Iexamples/marshal-leak -Iinclude

$(EX)/libcomponent.so: examples/marshal-leak/component.c examples/marshal-leak/component.h
	@mkdir -p $(dir $@)
	$(CC) $(EXFLAGS) -fPIC -shared -o $@ $<

$(EX)/marshal-demo: examples/marshal-leak/demo.c examples/marshal-leak/marshal.c \
                    examples/marshal-leak/marshal.h $(EX)/libcomponent.so include/heapspy.h
	$(CC) $(EXFLAGS) -o $@ examples/marshal-leak/demo.c examples/marshal-leak/marshal.c \
	  -L$(EX) -lcomponent -Wl,-rpath,'$$ORIGIN'

examples: $(EX)/marshal-demo

demo: setup-demo
	@$(MAKE) --no-print-directory demo-run

demo-run: all examples
	$(CLI) run -o $(BUILD)/demo.hsp --max-sites 5 -- $(EX)/marshal-demo 1000 1000

.PHONY: examples demo-run
