polyevalData({"key":"baseline-reference/dzen/dz/index","model":"baseline:reference","page_size":200,"pages":1,"parts":[["dzo_Tibt",0,23]],"run":"baseline-reference","task":"dzen","variant":"dz"});
