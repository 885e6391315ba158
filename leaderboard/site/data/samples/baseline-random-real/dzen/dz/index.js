polyevalData({"key":"baseline-random-real/dzen/dz/index","model":"baseline:random","page_size":200,"pages":1,"parts":[["dzo_Tibt",0,4]],"run":"baseline-random-real","task":"dzen","variant":"dz"});
