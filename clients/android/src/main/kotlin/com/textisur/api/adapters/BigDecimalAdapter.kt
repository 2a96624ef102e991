package com.textisur.api.adapters

import com.apollographql.apollo.api.Adapter
import com.apollographql.apollo.api.CustomScalarAdapters
import com.apollographql.apollo.api.json.JsonReader
import com.apollographql.apollo.api.json.JsonWriter
import java.math.BigDecimal

/** TextiSur's `Decimal` scalar: a JSON string such as "11900.00", never a float. */
object BigDecimalAdapter : Adapter<BigDecimal> {
    override fun fromJson(reader: JsonReader, customScalarAdapters: CustomScalarAdapters): BigDecimal =
        BigDecimal(reader.nextString()!!)

    override fun toJson(writer: JsonWriter, customScalarAdapters: CustomScalarAdapters, value: BigDecimal) {
        writer.value(value.toPlainString())
    }
}
